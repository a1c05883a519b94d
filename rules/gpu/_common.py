"""What several GPU rules share: the CUDA the driver runs, the torch build that fits it, and
the fix that installs it (proven by a new process of the environment's interpreter)."""

from __future__ import annotations

from collections.abc import Mapping

from devdoctor.api import Applicability, Context, Fix, PackageEdit, run_script

from ._nvidia import Nvidia
from ._tables import ARCHES, driver_cuda, flavour_cuda, flavours_for, runs
from ._torchbuild import TorchBuild

INDEX = "https://download.pytorch.org/whl/"
NO_GPU = "no NVIDIA GPU here"


def max_cuda(gpu: Nvidia) -> tuple[int, int] | None:
    """The newest CUDA the driver runs: as libcuda says, else from the module's version."""
    return gpu.cuda or (driver_cuda(gpu.driver) if gpu.driver else None)


def best_flavour(
    torch: TorchBuild, cuda: tuple[int, int] | None, capability: tuple[int, int] | None = None
) -> str | None:
    """The newest CUDA build of this torch release the driver runs (and with cubins for the
    GPU, when one is given)."""
    for name in reversed(flavours_for(torch.public)):
        if cuda is not None and flavour_cuda(name) > cuda:
            continue
        if capability is not None and not runs(ARCHES.get(name, ()), capability):
            continue
        return name
    return None


def cuda_of_torch_in_child(python: str, env: Mapping[str, str], timeout: float) -> str | None:
    """None when the interpreter's torch is a CUDA build, in a new process; else why not."""
    script = "import sys, torch\nsys.exit(0 if torch.version.cuda else 'torch is a CPU build')"
    return run_script(python, script, (), env, timeout)


def reinstall_torch(ctx: Context, torch: TorchBuild, flavour: str, why: str) -> Fix:
    python = ctx.location.python or "python3"
    want = f"{torch.public}+{flavour}"
    edit = PackageEdit(python, "torch", torch.version, want, index_url=INDEX + flavour)

    def verify(env: Mapping[str, str]) -> str | None:
        return cuda_of_torch_in_child(python, env, 120.0)

    return Fix(f"Install torch {want} ({why})", Applicability.UNSAFE, (edit,), verify=verify)


def describe(gpu: Nvidia) -> str:
    """ "NVIDIA GeForce RTX 4090 (driver 550.90.07, CUDA 12.4)", from what is known."""
    model = next((g.model for g in gpu.gpus if g.model), "") or next(
        (d.name for d in gpu.devices), "an NVIDIA GPU"
    )
    cuda = max_cuda(gpu)
    parts = [
        f"driver {gpu.driver}" if gpu.driver else "",
        f"CUDA {cuda[0]}.{cuda[1]}" if cuda else "",
    ]
    known = ", ".join(p for p in parts if p)
    return f"{model} ({known})" if known else model
