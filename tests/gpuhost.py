"""A GPU host without a GPU: the driver's files as the NVIDIA kernel module writes them, under a
system root the GPU family reads (`DEVDOCTOR_SYSTEM_ROOT`), and a gcc-built `libcuda.so.1` that
the real loader loads in devdoctor's child process, answering with the values a test picks.

The file formats are the module's own, as quoted in public reports: `/proc/driver/nvidia/version`
("NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.90.07  Fri May 31 09:35:42 UTC 2024",
pytorch/pytorch#131312) and `/proc/driver/nvidia/gpus/<bus>/information` ("Model:", "GPU UUID:",
"Bus Location:" lines, NVIDIA/nvidia-docker#1671, NVIDIA/k8s-device-plugin#331).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

STUB = r"""
#include <stdlib.h>
#include <string.h>
static int env(const char *name, int fallback) {
    const char *v = getenv(name);
    return v ? atoi(v) : fallback;
}
int cuDriverGetVersion(int *v) { *v = env("STUB_CUDA_VERSION", 12040); return 0; }
int cuInit(unsigned flags) { return env("STUB_CUINIT", 0); }
int cuDeviceGetCount(int *n) { *n = env("STUB_DEVICES", 1); return 0; }
int cuDeviceGet(int *d, int i) { *d = i; return 0; }
int cuDeviceGetAttribute(int *v, int attr, int dev) {
    int cc = env("STUB_CC", 89);
    *v = attr == 75 ? cc / 10 : cc % 10;
    return 0;
}
int cuDeviceGetName(char *name, int len, int dev) {
    const char *n = getenv("STUB_NAME");
    strncpy(name, n ? n : "NVIDIA GeForce RTX 4090", len - 1);
    name[len - 1] = 0;
    return 0;
}
"""

VERSION = (
    "NVRM version: NVIDIA UNIX x86_64 Kernel Module  {driver}  Fri May 31 09:35:42 UTC 2024\n"
    "GCC version:  gcc version 12.3.0 (Ubuntu 12.3.0-1ubuntu1~22.04)\n"
)
INFORMATION = (
    "Model: \t\t {model}\nIRQ:   \t\t 148\nGPU UUID: \t {uuid}\nVideo BIOS: \t 95.02.18.80.5f\n"
    "Bus Type: \t PCIe\nDMA Size: \t 47 bits\nDMA Mask: \t 0x7fffffffffff\n"
    "Bus Location: \t {bus}\nDevice Minor: \t {minor}\nGPU Excluded:\t No\n"
)


def gpu_host(
    root: Path,
    driver: str = "550.90.07",
    models: tuple[str, ...] = ("NVIDIA GeForce RTX 4090",),
    cuda_version: int = 12040,
    capability: int = 89,
) -> dict[str, str]:
    """Build the tree and the stub under `root`; the environment that makes devdoctor see them."""
    proc = root / "proc" / "driver" / "nvidia"
    proc.mkdir(parents=True)
    (proc / "version").write_text(VERSION.format(driver=driver))
    dev = root / "dev"
    dev.mkdir()
    for n, model in enumerate(models):
        bus = f"0000:{n + 1:02x}:00.0"
        folder = proc / "gpus" / bus
        folder.mkdir(parents=True)
        uuid = f"GPU-8d2c0b9e-13f4-2b6a-9c1e-0000000000{n:02d}"
        (folder / "information").write_text(
            INFORMATION.format(model=model, uuid=uuid, bus=bus, minor=n)
        )
        (dev / f"nvidia{n}").touch()
    lib = root / "usr" / "lib"
    lib.mkdir(parents=True)
    (lib / "cuda.c").write_text(STUB)
    subprocess.run(
        [
            "gcc",
            "-shared",
            "-fPIC",
            "-Wl,-soname,libcuda.so.1",
            "-o",
            str(lib / "libcuda.so.1"),
            str(lib / "cuda.c"),
        ],
        check=True,
    )
    return {
        "DEVDOCTOR_SYSTEM_ROOT": str(root),
        "LD_LIBRARY_PATH": str(lib),
        "STUB_CUDA_VERSION": str(cuda_version),
        "STUB_DEVICES": str(len(models)),
        "STUB_CC": str(capability),
        "STUB_NAME": models[0] if models else "",
    }


def torch_files(site: Path, version: str, cuda: str | None) -> None:
    """A torch distribution as its wheel leaves it on disk, for the parts the GPU family reads:
    the metadata and `torch/version.py` in the wheel's own words (for builds too large to install
    in a test; the CPU build itself is installed from a real wheel in the DD401 tests)."""
    folder = site / "torch"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "__init__.py").write_text("")
    cuda_line = f"cuda: Optional[str] = '{cuda}'" if cuda else "cuda: Optional[str] = None"
    (folder / "version.py").write_text(
        f"from typing import Optional\n\n__all__ = ['__version__', 'debug', 'cuda']\n"
        f"__version__ = '{version}'\ndebug = False\n{cuda_line}\n"
    )
    info = site / f"torch-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: torch\nVersion: {version}\n")
