"""The NVIDIA driver runs an older CUDA than the one torch was built for.

## What it does

Compares the CUDA version the driver supports — what `cuDriverGetVersion` says in a child
process, or, when the library cannot be asked, the kernel module's version against NVIDIA's
driver table — with the CUDA torch was built for (`torch/version.py`). An older major version
fails; an older minor version warns (CUDA's minor-version compatibility runs most of it).

## Why is this bad?

`RuntimeError: The NVIDIA driver on your system is too old (found version 11040)` (the number
is the driver's CUDA version, 11.4), or `torch.cuda.is_available()` quietly returning False.

## Example

```
$ devdoctor check cuda-driver-too-old-for-torch
  ✗ DD402 cuda-driver-too-old-for-torch: torch 2.6.0+cu126 needs CUDA 12.6; the driver
    (535.54.03) runs CUDA 12.2
```

## Fix

Display-only: upgrade the driver to at least the version NVIDIA lists for torch's CUDA (needs
root). Alternative: install the same torch release built for a CUDA the driver runs, from
PyTorch's index, proven by a new process of the environment's interpreter.

## Fix safety

The driver upgrade is display-only. The torch reinstall is unsafe (large downloads); `devdoctor
undo` reinstalls the previous build.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from devdoctor.api import (
    Applicability,
    Context,
    Diagnostic,
    Fix,
    FixAvailability,
    Rule,
    Scope,
    Signature,
    Status,
    TargetError,
)

from ._common import NO_GPU, best_flavour, max_cuda, reinstall_torch
from ._nvidia import nvidia
from ._tables import MIN_DRIVER
from ._torchbuild import TorchBuild, torch_build


def _fixes(ctx: Context, torch: TorchBuild, driver_cuda: tuple[int, int] | None) -> tuple[Fix, ...]:
    need = torch.cuda_tuple
    minimum = MIN_DRIVER.get(need) if need else None
    upgrade = Fix(
        "Upgrade the NVIDIA driver",
        Applicability.DISPLAY_ONLY,
        instructions=f"as root, install NVIDIA driver {'.'.join(map(str, minimum))} or newer "
        "(https://www.nvidia.com/Download/index.aspx, or your distribution's driver packages)"
        if minimum
        else "as root, install a newer NVIDIA driver (https://www.nvidia.com/Download/index.aspx)",
    )
    flavour = best_flavour(torch, driver_cuda)
    if flavour is None:
        return (upgrade,)
    return upgrade, reinstall_torch(ctx, torch, flavour, "a build this driver runs")


def check(ctx: Context, settings: Any) -> Iterator[Diagnostic]:
    try:
        torch = torch_build(ctx)
        gpu = nvidia(ctx)
    except TargetError as exc:
        yield Diagnostic(Status.SKIP, f"cannot examine the environment: {exc}")
        return
    if torch is None or not torch.cuda_tuple:
        yield Diagnostic(Status.PASS, "no CUDA build of torch here")
        return
    if not gpu.present:
        yield Diagnostic(Status.PASS, NO_GPU)
        return
    driver_cuda = max_cuda(gpu)
    need = torch.cuda_tuple
    if driver_cuda is None:
        yield Diagnostic(Status.SKIP, f"the driver's CUDA version is unknown ({gpu.error})")
        return
    said = f"{driver_cuda[0]}.{driver_cuda[1]}"
    facts: dict[str, Any] = {
        "torch": torch.version,
        "torch_cuda": torch.cuda,
        "driver": gpu.driver,
        "driver_cuda": said,
    }
    if driver_cuda >= need:
        yield Diagnostic(
            Status.PASS, f"the driver runs CUDA {said}; torch needs {torch.cuda}", facts
        )
        return
    status = Status.FAIL if driver_cuda[0] < need[0] else Status.WARN
    yield Diagnostic(
        status,
        f"torch {torch.version} needs CUDA {torch.cuda}; the driver"
        + (f" ({gpu.driver})" if gpu.driver else "")
        + f" runs CUDA {said}"
        + ("" if status is Status.FAIL else " (minor-version compatibility may run it)"),
        facts,
        _fixes(ctx, torch, driver_cuda),
        key="driver-cuda",
    )


def fix_from_log(ctx: Context, facts: Mapping[str, Any], settings: Any) -> Fix | None:
    try:
        torch = torch_build(ctx)
        gpu = nvidia(ctx)
    except TargetError:
        return None
    if torch is None or not torch.cuda_tuple:
        return None
    found = str(facts.get("found", ""))
    cuda = (int(found) // 1000, int(found) % 1000 // 10) if found.isdigit() else max_cuda(gpu)
    return _fixes(ctx, torch, cuda)[-1]


RULE = Rule(
    code="DD402",
    name="cuda-driver-too-old-for-torch",
    summary="The NVIDIA driver runs an older CUDA than torch was built for",
    scope=Scope.ENVIRONMENT,
    node=True,
    check=check,
    fix_availability=FixAvailability.SOMETIMES,
    signatures=(
        Signature(
            "driver on your system is too old",
            r"driver on your system is too old \(found version (?P<found>\d{3,6})\)",
            "the NVIDIA driver is older than the CUDA torch was built for (its CUDA: {found})",
        ),
    ),
    fix_from_log=fix_from_log,
)
