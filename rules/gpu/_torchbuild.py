"""The installed torch's build, read from its files (importing torch is what may be broken):
the version and local tag from metadata, the CUDA it was built for from `torch/version.py`."""

from __future__ import annotations

import os
import re
from typing import NamedTuple

from devdoctor.api import Context

CUDA_LINE = re.compile(
    r"^cuda\s*(?::[^=]{0,40})?=\s*(?:'([\d.]+)'|\"([\d.]+)\"|None)", re.MULTILINE
)


class TorchBuild(NamedTuple):
    version: str  # 2.4.1+cu121
    cuda: str | None  # "12.1"; None for a CPU build
    folder: str

    @property
    def public(self) -> str:
        return self.version.partition("+")[0]

    @property
    def cuda_tuple(self) -> tuple[int, int] | None:
        if not self.cuda:
            return None
        major, _, minor = self.cuda.partition(".")
        return int(major), int(minor or 0)


def torch_build(ctx: Context) -> TorchBuild | None:
    """None when torch is not installed (raises TargetError when the target cannot be asked)."""

    def compute() -> TorchBuild | None:
        target = ctx.target()
        version = target.version_of("torch")
        if version is None:
            return None
        for site in target.site_packages:
            folder = os.path.join(site, "torch")
            try:
                with open(os.path.join(folder, "version.py"), encoding="utf-8") as f:
                    found = CUDA_LINE.search(f.read())
            except OSError:
                continue
            cuda = (found.group(1) or found.group(2)) if found else None
            return TorchBuild(version, cuda, folder)
        return TorchBuild(version, None, "")

    return ctx.memo("gpu.torch", compute)
