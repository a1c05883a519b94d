"""torch and its companions without importing them: where torch is, its version and local tag
(`+cpu`, `+cu121`), its libraries, the index its builds come from, what a companion pins, and
which torchvision/torchaudio release pairs with it."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import NamedTuple

from devdoctor.api import TargetFacts

TORCH_LIBS = (
    "libc10.so",
    "libc10_cuda.so",
    "libtorch.so",
    "libtorch_cpu.so",
    "libtorch_cuda.so",
    "libtorch_python.so",
    "libtorch_global_deps.so",
)
INDEX = "https://download.pytorch.org/whl/"
_PIN = re.compile(r"^Requires-Dist:\s*torch\s*\(?\s*==\s*([\w.+!-]+)", re.MULTILINE)


class Torch(NamedTuple):
    version: str  # as installed: 2.4.1+cu121
    lib_dir: str

    @property
    def public(self) -> str:
        return self.version.partition("+")[0]

    @property
    def local(self) -> str:
        return self.version.partition("+")[2]

    @property
    def index_url(self) -> str:
        """Where builds of this flavour are published (PyPI's own builds have no local tag)."""
        return INDEX + self.local if self.local else ""

    def libraries(self) -> list[str]:
        return [p for n in TORCH_LIBS if os.path.isfile(p := os.path.join(self.lib_dir, n))]


def torch_of(target: TargetFacts) -> Torch | None:
    version = target.version_of("torch")
    if version is None:
        return None
    for site in target.site_packages:
        lib = os.path.join(site, "torch", "lib")
        if os.path.isdir(lib):
            return Torch(version, lib)
    return None


def pinned_torch(target: TargetFacts, distribution: str) -> str | None:
    """The exact torch a distribution requires (`Requires-Dist: torch==X`), if it pins one."""
    key = re.sub(r"[-_.]+", "_", distribution).lower()
    for site in target.site_packages:
        for info in Path(site).glob("*.dist-info"):
            name = info.name.removesuffix(".dist-info").rsplit("-", 1)[0]
            if re.sub(r"[-_.]+", "_", name).lower() != key:
                continue
            try:
                metadata = (info / "METADATA").read_text(errors="replace")
            except OSError:
                return None
            pin = _PIN.search(metadata)
            return pin.group(1) if pin else None
    return None


def paired(companion: str, torch_version: str) -> str | None:
    """The torchvision/torchaudio release built with this torch: torchvision 0.(m+15).p for
    torch 2.m.p and torchaudio 2.m.p (PyTorch's release compatibility table)."""
    public, _, local = torch_version.partition("+")
    try:
        major, minor, patch = (int(x) for x in public.split(".")[:3])
    except ValueError:
        return None
    if companion == "torchvision":
        version = f"0.{minor + 15}.{patch}" if major == 2 else f"0.{minor + 1}.{patch}"
    elif companion == "torchaudio":
        version = f"{major}.{minor}.{patch}" if major == 2 else f"0.{minor}.{patch}"
    else:
        return None
    return f"{version}+{local}" if local else version


def owner_of(target: TargetFacts, path: str) -> str | None:
    """The distribution that installed a file, from the RECORD files (read only when asked:
    a site-packages holds hundreds)."""
    for site in target.site_packages:
        if not path.startswith(site.rstrip(os.sep) + os.sep):
            continue
        entry = os.path.relpath(path, site) + ","
        top = re.sub(r"[-_.]+", "_", entry.split(os.sep)[0].split(".")[0]).lower()
        # The distribution named like the top folder first: usually the one (torchvision/).
        infos = sorted(
            Path(site).glob("*.dist-info"),
            key=lambda i: re.sub(r"[-_.]+", "_", i.name.split("-")[0]).lower() != top,
        )
        for info in infos:
            try:
                record = (info / "RECORD").read_text(errors="replace")
            except OSError:
                continue
            if record.startswith(entry) or "\n" + entry in record:
                return info.name.removesuffix(".dist-info").rsplit("-", 1)[0]
    return None
