"""A CPU-only build of torch on a machine with an NVIDIA GPU and driver.

## What it does

Reads the GPU facts without nvidia-smi (the driver's files under `/proc/driver/nvidia`, the
`/dev/nvidia*` nodes, WSL2's `/dev/dxg`, and `libcuda.so.1` asked in a child process) and the
installed torch's build from its files (`torch/version.py`: `cuda = None` for a CPU build). A CPU
build where a GPU is there fails.

## Why is this bad?

Training runs on the CPU, silently, or stops at the first `.cuda()` with `AssertionError: Torch
not compiled with CUDA enabled`. It happens when torch came from the CPU index, from PyPI on
Windows, or was re-resolved by another package's install.

## Example

```
$ devdoctor check torch-cpu-wheel-on-gpu-host
  ✗ DD401 torch-cpu-wheel-on-gpu-host: torch 2.4.1+cpu is a CPU build, and this machine has
    NVIDIA GeForce RTX 4090 (driver 550.90.07, CUDA 12.4)
```

## Fix

Install the same torch release built for the newest CUDA the driver runs, from PyTorch's index
for that flavour (`https://download.pytorch.org/whl/cu124`); then a new process of the
environment's interpreter must report a CUDA build. torchvision/torchaudio then need their
matching builds (DD104 says so).

## Fix safety

Unsafe: it replaces torch (large downloads from PyTorch's index); `devdoctor undo` reinstalls
the previous build.
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

from ._common import NO_GPU, best_flavour, describe, max_cuda, reinstall_torch
from ._nvidia import nvidia
from ._torchbuild import TorchBuild, torch_build


def _fix(ctx: Context, torch: TorchBuild) -> Fix:
    cuda = max_cuda(nvidia(ctx))
    flavour = best_flavour(torch, cuda)
    if flavour is None:
        return Fix(
            "Install a CUDA build of torch",
            Applicability.DISPLAY_ONLY,
            instructions=f"no CUDA build of torch {torch.public} runs on this driver "
            f"(CUDA {'.'.join(map(str, cuda)) if cuda else 'unknown'}): upgrade the driver or "
            "pick the torch release from https://pytorch.org/get-started/previous-versions/",
        )
    return reinstall_torch(ctx, torch, flavour, "a CUDA build this driver runs")


def check(ctx: Context, settings: Any) -> Iterator[Diagnostic]:
    try:
        torch = torch_build(ctx)
        gpu = nvidia(ctx)
    except TargetError as exc:
        yield Diagnostic(Status.SKIP, f"cannot examine the environment: {exc}")
        return
    if torch is None:
        yield Diagnostic(Status.PASS, "torch is not installed")
    elif not gpu.present:
        yield Diagnostic(Status.PASS, NO_GPU)
    elif torch.cuda:
        yield Diagnostic(Status.PASS, f"torch {torch.version} is a CUDA {torch.cuda} build")
    else:
        facts = {"torch": torch.version, "gpu": describe(gpu), "driver": gpu.driver}
        yield Diagnostic(
            Status.FAIL,
            f"torch {torch.version} is a CPU build, and this machine has {describe(gpu)}",
            facts,
            (_fix(ctx, torch),),
            key="cpu-build",
        )


def fix_from_log(ctx: Context, facts: Mapping[str, Any], settings: Any) -> Fix | None:
    try:
        torch = torch_build(ctx)
        present = nvidia(ctx).present
    except TargetError:
        return None
    return _fix(ctx, torch) if torch and not torch.cuda and present else None


RULE = Rule(
    code="DD401",
    name="torch-cpu-wheel-on-gpu-host",
    summary="A CPU-only torch on a machine with an NVIDIA GPU",
    scope=Scope.ENVIRONMENT,
    node=True,
    check=check,
    fix_availability=FixAvailability.SOMETIMES,
    signatures=(
        Signature(
            "not compiled with CUDA enabled",
            r"not compiled with CUDA enabled",
            "torch is a CPU build",
        ),
        # xformers and other extensions print the torch they were built for and yours
        Signature(
            "you have",
            r"you have (?P<torch>\d{1,3}\.\d{1,3}\.\d{1,3}\+cpu)\)",
            "torch {torch} is a CPU build; an extension here was built for a CUDA one",
        ),
        # torch.utils.collect_env's line: a fact, a problem where the machine has a GPU
        Signature(
            "PyTorch version",
            r"PyTorch version: (?P<torch>\d{1,3}\.\d{1,3}(?:\.\d{1,3})?\+cpu)",
            "torch {torch} is a CPU build",
            certain=False,
            to_tell="Does this machine have an NVIDIA GPU? devdoctor check "
            "torch-cpu-wheel-on-gpu-host reads the driver's files and torch's",
        ),
        Signature(
            "returned False",
            r"(?<=is_available\(\) )returned False",
            "torch sees no GPU: a CPU build, or a driver problem",
            certain=False,
            to_tell="Is torch a CPU build (torch.version.cuda is None) or is the driver too old? "
            "devdoctor check DD4 looks at both",
        ),
    ),
    fix_from_log=fix_from_log,
)
