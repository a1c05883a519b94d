"""NVIDIA facts without nvidia-smi and without importing torch, once per run.

From files (under the configured system root): the kernel module's version
(`/proc/driver/nvidia/version`), each GPU's model and UUID (`/proc/driver/nvidia/gpus/*/
information`), the device nodes (`/dev/nvidia[0-9]*`), WSL2's `/dev/dxg`. Then, only when a
driver is there, one child process asks the driver library itself through ctypes: the CUDA
version it supports (`cuDriverGetVersion`, no device needed) and each device's name and compute
capability (`cuInit`, `cuDeviceGetAttribute`). No GPU: no child, nothing slow.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import NamedTuple

from devdoctor.api import Context, effective_env

MODULE = re.compile(r"Kernel Module(?:\s+for\s+\w+)?\s+(\d+\.\d+(?:\.\d+)?)")
CHILD_TIMEOUT = 10.0

# Runs in a child: a driver that hangs or crashes cannot take devdoctor with it.
_ASK_DRIVER = r"""
import ctypes, json
out = {"driver_cuda": None, "devices": [], "error": ""}
try:
    cuda = ctypes.CDLL("libcuda.so.1")
except OSError as exc:
    out["error"] = str(exc)
else:
    version = ctypes.c_int()
    if cuda.cuDriverGetVersion(ctypes.byref(version)) == 0:
        out["driver_cuda"] = version.value
    status = cuda.cuInit(0)
    if status != 0:
        out["error"] = f"cuInit returned {status}"
    else:
        count, device, value = ctypes.c_int(), ctypes.c_int(), ctypes.c_int()
        cuda.cuDeviceGetCount(ctypes.byref(count))
        for n in range(count.value):
            cuda.cuDeviceGet(ctypes.byref(device), n)
            name = ctypes.create_string_buffer(256)
            cuda.cuDeviceGetName(name, 256, device)
            cc = []
            for attribute in (75, 76):  # COMPUTE_CAPABILITY_MAJOR, _MINOR
                cuda.cuDeviceGetAttribute(ctypes.byref(value), attribute, device)
                cc.append(value.value)
            out["devices"].append([name.value.decode(errors="replace"), *cc])
print(json.dumps(out))
"""


class Gpu(NamedTuple):
    model: str
    uuid: str
    bus: str


class Device(NamedTuple):
    name: str
    major: int
    minor: int

    @property
    def sm(self) -> str:
        return f"sm_{self.major}{self.minor}"


class Nvidia(NamedTuple):
    driver: str | None  # the kernel module's version: 550.90.07
    gpus: tuple[Gpu, ...]
    nodes: tuple[str, ...]  # /dev/nvidia0, ...
    wsl: bool
    driver_cuda: int | None  # what cuDriverGetVersion says: 12040
    devices: tuple[Device, ...]
    error: str  # why the driver library could not be asked

    @property
    def present(self) -> bool:
        return bool(self.driver or self.gpus or self.nodes or self.wsl)

    @property
    def cuda(self) -> tuple[int, int] | None:
        if self.driver_cuda is None:
            return None
        return self.driver_cuda // 1000, self.driver_cuda % 1000 // 10


def _information(text: str) -> Gpu:
    fields = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    return Gpu(fields.get("Model", ""), fields.get("GPU UUID", ""), fields.get("Bus Location", ""))


def read(ctx: Context) -> Nvidia:
    proc = ctx.system_path("/proc/driver/nvidia")
    try:
        found = MODULE.search((proc / "version").read_text(errors="replace"))
        driver = found.group(1) if found else None
    except OSError:
        driver = None
    gpus = []
    for info in sorted(proc.glob("gpus/*/information")):
        try:
            gpus.append(_information(info.read_text(errors="replace")))
        except OSError:
            continue
    dev = ctx.system_path("/dev")
    nodes = tuple(sorted(str(p) for p in dev.glob("nvidia[0-9]*")))
    wsl = (dev / "dxg").exists()
    facts = Nvidia(driver, tuple(gpus), nodes, wsl, None, (), "")
    if not facts.present:
        return facts
    cuda, devices, error = _ask_driver(ctx)
    return facts._replace(driver_cuda=cuda, devices=devices, error=error)


def _ask_driver(ctx: Context) -> tuple[int | None, tuple[Device, ...], str]:
    try:
        proc = subprocess.run(
            [sys.executable, "-c", _ASK_DRIVER],
            env=effective_env(ctx),
            capture_output=True,
            text=True,
            timeout=CHILD_TIMEOUT,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        out = json.loads(proc.stdout or "{}")
    except subprocess.TimeoutExpired:
        return None, (), f"the driver did not answer in {CHILD_TIMEOUT:g} s"
    except (OSError, ValueError) as exc:
        return None, (), f"the driver could not be asked: {exc}"
    if not isinstance(out, dict):
        return None, (), "the driver's answer could not be read"
    devices = tuple(
        Device(str(d[0]), int(d[1]), int(d[2]))
        for d in out.get("devices") or ()
        if isinstance(d, list) and len(d) == 3
    )
    cuda = out.get("driver_cuda")
    error = str(out.get("error") or (proc.stderr.strip().splitlines() or [""])[-1])
    return (cuda if isinstance(cuda, int) else None), devices, error


def nvidia(ctx: Context) -> Nvidia:
    return ctx.memo("gpu.nvidia", lambda: read(ctx))
