"""The GPU's compute capability is not among the architectures the installed torch was built
for.

## What it does

Takes each GPU's compute capability from the driver (`cuDeviceGetAttribute` in a child process)
or, when it cannot be asked, from the model name in `/proc/driver/nvidia/gpus/*/information`,
and the architectures of torch's build from its CUDA flavour (`+cu124`: the list PyTorch's
official wheels carry, kept as data with its sources). A GPU that no cubin in the build runs on
(same major version, minor at most the GPU's) fails.

## Why is this bad?

New GPUs need new builds: an RTX 5090 (sm_120) with a wheel built up to sm_90 prints `NVIDIA
GeForce RTX 5090 with CUDA capability sm_120 is not compatible with the current PyTorch
installation` and every kernel fails with `no kernel image is available for execution on the
device`; old GPUs are dropped by new builds the same way.

## Example

```
$ devdoctor check gpu-arch-not-in-torch-build
  ✗ DD404 gpu-arch-not-in-torch-build: NVIDIA GeForce RTX 5090 is sm_120; torch 2.5.1+cu124
    carries sm_50 sm_60 sm_70 sm_75 sm_80 sm_86 sm_90
```

## Fix

Install the same torch release from the newest CUDA flavour whose build carries the GPU's
architecture and that the driver runs (cu128 for sm_120), proven by a new process of the
environment's interpreter. When none exists: display-only (a newer torch, or a newer driver).

## Fix safety

Unsafe: it replaces torch (large downloads); `devdoctor undo` reinstalls the previous build.
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
from ._nvidia import Nvidia, nvidia
from ._tables import ARCHES, capability, flavour, runs
from ._torchbuild import TorchBuild, torch_build


def gpus(gpu: Nvidia) -> list[tuple[str, tuple[int, int]]]:
    """(name, compute capability) of each GPU: the driver's answer, else the model table."""
    if gpu.devices:
        return [(d.name, (d.major, d.minor)) for d in gpu.devices]
    return [(g.model, cc) for g in gpu.gpus if (cc := capability(g.model))]


def build_flavour(torch: TorchBuild) -> str | None:
    tag = torch.version.partition("+")[2]
    if tag.startswith("cu"):
        return tag
    return flavour(torch.cuda_tuple) if torch.cuda_tuple else None


def _fix(ctx: Context, torch: TorchBuild, cc: tuple[int, int]) -> Fix:
    choice = best_flavour(torch, max_cuda(nvidia(ctx)), cc)
    if choice is None:
        return Fix(
            "Install a torch built for this GPU",
            Applicability.DISPLAY_ONLY,
            instructions=f"no build of torch {torch.public} for sm_{cc[0]}{cc[1]} runs on this "
            "driver: install a newer torch release built with the GPU's architecture (and a "
            "driver that runs its CUDA)",
        )
    return reinstall_torch(ctx, torch, choice, f"its build carries sm_{cc[0]}{cc[1]}")


def check(ctx: Context, settings: Any) -> Iterator[Diagnostic]:
    try:
        torch = torch_build(ctx)
        gpu = nvidia(ctx)
    except TargetError as exc:
        yield Diagnostic(Status.SKIP, f"cannot examine the environment: {exc}")
        return
    if torch is None or torch.cuda is None:
        yield Diagnostic(Status.PASS, "no CUDA build of torch here")
        return
    if not gpu.present:
        yield Diagnostic(Status.PASS, NO_GPU)
        return
    name = build_flavour(torch)
    arches = ARCHES.get(name or "")
    if not arches:
        yield Diagnostic(Status.SKIP, f"the architectures of a {name} build are not in the table")
        return
    found = gpus(gpu)
    if not found:
        yield Diagnostic(Status.SKIP, "the GPU's compute capability is unknown")
        return
    bad = [(model, cc) for model, cc in found if not runs(arches, cc)]
    if not bad:
        yield Diagnostic(Status.PASS, f"torch {torch.version}'s build runs on every GPU here")
        return
    model, cc = bad[0]
    facts = {
        "gpu": model,
        "capability": f"sm_{cc[0]}{cc[1]}",
        "torch": torch.version,
        "torch_arches": list(arches),
    }
    yield Diagnostic(
        Status.FAIL,
        f"{model} is sm_{cc[0]}{cc[1]}; torch {torch.version} carries {' '.join(arches)}",
        facts,
        (_fix(ctx, torch, cc),),
        key=f"sm_{cc[0]}{cc[1]}",
    )


def fix_from_log(ctx: Context, facts: Mapping[str, Any], settings: Any) -> Fix | None:
    try:
        torch = torch_build(ctx)
        found = gpus(nvidia(ctx))
    except TargetError:
        return None
    if torch is None or not found:
        return None
    return _fix(ctx, torch, found[0][1])


RULE = Rule(
    code="DD404",
    name="gpu-arch-not-in-torch-build",
    summary="The GPU's compute capability is not in the torch build",
    scope=Scope.ENVIRONMENT,
    node=True,
    check=check,
    fix_availability=FixAvailability.SOMETIMES,
    signatures=(
        Signature(
            "is not compatible with the current PyTorch installation",
            r"is not compatible with the current PyTorch installation",
            "the GPU's architecture is not in this torch build",
        ),
        Signature(
            "with CUDA capability",
            r"with CUDA capability (?P<capability>sm_\d{2,3}) is not compatible",
            "the GPU ({capability}) is not in this torch build",
        ),
        Signature(
            "The current PyTorch install supports CUDA capabilities",
            r"The current PyTorch install supports CUDA capabilities (?P<arches>[\w ]{1,200})",
            "this torch build carries only {arches}",
        ),
        Signature(
            "no kernel image is available for execution on the device",
            r"no kernel image is available for execution on the device",
            "a CUDA kernel was not built for this GPU's architecture",
        ),
    ),
    fix_from_log=fix_from_log,
)
