"""Which file the dynamic loader would open for `libX.so.N`, and why — glibc's order, without
loading anything (elf/dl-load.c, _dl_map_object):

1. the requester's DT_RPATH (only when it has no DT_RUNPATH), then that of each object up the
   chain that loaded it, then the executable's;
2. LD_LIBRARY_PATH of the examined environment;
3. the requester's own DT_RUNPATH;
4. /etc/ld.so.cache (read from the file, as ld.so does);
5. the default directories.

`$ORIGIN` is the requester's directory. A file of another class or machine is skipped, as the
loader skips it. Tests hold the answer against the real loader (`/proc/<pid>/maps` of a child).
"""

from __future__ import annotations

import functools
import os
import struct
from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

from ._dynamic import DynamicInfo, read_dynamic
from ._elf import Unreadable

CACHE_MAGIC = b"glibc-ld.so.cache1.1"
FLAG_ELF_LIBC6 = 0x0003  # FLAG_ELF | libc6
FLAG_X8664_LIB64, FLAG_AARCH64_LIB64 = 0x0300, 0x0A00
TRIPLETS = {"EM_X86_64": "x86_64-linux-gnu", "EM_AARCH64": "aarch64-linux-gnu"}


class Resolved(NamedTuple):
    name: str
    path: str | None  # None: the loader would not find it
    reason: str  # where it came from: "LD_LIBRARY_PATH", "its RUNPATH", "ld.so.cache", ...
    tried: tuple[tuple[str, str], ...] = ()  # (directory, why it was looked in), in order


class Loader:
    """Resolution for one environment; `cache_file` and `defaults` are injectable for tests."""

    def __init__(
        self,
        env: Mapping[str, str],
        machine: str = "EM_X86_64",
        bits: int = 64,
        executable: DynamicInfo | None = None,
        executable_path: str = "",
        cache_file: str = "/etc/ld.so.cache",
        defaults: Sequence[str] = (),
        reader: Callable[[str], DynamicInfo | None] | None = None,
    ) -> None:
        self.env, self.machine, self.bits = env, machine, bits
        self.executable, self.executable_path = executable, executable_path
        self.cache_file = cache_file
        triplet = TRIPLETS.get(machine, "")
        dirs = [f"/lib/{triplet}", f"/usr/lib/{triplet}"] if triplet else []
        self.defaults = list(defaults) or [*dirs, "/lib64", "/usr/lib64", "/lib", "/usr/lib"]
        self.reader = reader or _read
        self._cache: dict[str, str] | None = None
        self._known: dict[str, bool] = {}
        self._resolved: dict[tuple[object, ...], Resolved] = {}

    def resolve(
        self, name: str, requester: str, info: DynamicInfo, inherited: tuple[str, ...] = ()
    ) -> Resolved:
        """`inherited`: the RPATH folders of the objects that loaded the requester, nearest
        first (glibc searches them after the requester's own RPATH)."""
        origin = os.path.dirname(os.path.abspath(requester))
        # Libraries of one folder with the same RPATH/RUNPATH resolve alike (torch/lib has ~40).
        key = (name, origin, info.rpath, info.runpath, inherited)
        known = self._resolved.get(key)
        if known is None:
            known = self._resolve(name, origin, info, inherited)
            self._resolved[key] = known
        return known

    def rpath(self, path: str, info: DynamicInfo) -> tuple[str, ...]:
        """The RPATH folders of an object, expanded (what it passes on to what it loads)."""
        return tuple(_expand(info.rpath, os.path.dirname(os.path.abspath(path))))

    def _resolve(
        self, name: str, origin: str, info: DynamicInfo, inherited: tuple[str, ...]
    ) -> Resolved:
        if "/" in name:
            path = name if os.path.isabs(name) else os.path.join(os.getcwd(), name)
            return Resolved(name, path if self.fits(path) else None, "a path")
        steps: list[tuple[str, str]] = []
        if not info.runpath:
            steps += [(d, "its RPATH") for d in _expand(info.rpath, origin)]
            steps += [(d, "the RPATH of what loaded it") for d in inherited]
            exe = self.executable
            if exe is not None and not exe.runpath:
                exe_origin = os.path.dirname(self.executable_path)
                steps += [(d, "the interpreter's RPATH") for d in _expand(exe.rpath, exe_origin)]
        library_path = self.env.get("LD_LIBRARY_PATH", "")
        steps += [(d or ".", "LD_LIBRARY_PATH") for d in library_path.split(":") if library_path]
        steps += [(d, "its RUNPATH") for d in _expand(info.runpath, origin)]
        for directory, why in steps:
            candidate = os.path.join(directory, name)
            if self.fits(candidate):
                return Resolved(name, candidate, why, tuple(steps))
        cached = self.ld_cache().get(name)
        if cached and self.fits(cached):
            return Resolved(name, cached, "ld.so.cache", tuple(steps))
        steps += [(d, "default directories") for d in self.defaults]
        for directory in self.defaults:
            candidate = os.path.join(directory, name)
            if self.fits(candidate):
                return Resolved(name, candidate, "default directories", tuple(steps))
        return Resolved(name, None, "not found", tuple(steps))

    def fits(self, path: str) -> bool:
        """An existing ELF object of this class and machine (the loader skips others)."""
        known = self._known.get(path)
        if known is None:
            info = self.reader(path) if os.path.isfile(path) else None
            known = info is not None and info.machine == self.machine and info.bits == self.bits
            self._known[path] = known
        return known

    def ld_cache(self) -> dict[str, str]:
        if self._cache is None:
            try:
                st = os.stat(self.cache_file)
                self._cache = _ld_cache(self.cache_file, st.st_size, st.st_mtime_ns, self.machine)
            except OSError:
                self._cache = {}
        return self._cache


@functools.lru_cache(maxsize=8)  # several loaders per run read the one cache file
def _ld_cache(path: str, size: int, mtime_ns: int, machine: str) -> dict[str, str]:
    with open(path, "rb") as f:
        return parse_ld_cache(f.read(), machine)


def _read(path: str) -> DynamicInfo | None:
    try:
        return read_dynamic(path)
    except Unreadable:
        return None


def _expand(dirs: Sequence[str], origin: str) -> list[str]:
    out = []
    for d in dirs:
        for token in ("$ORIGIN", "${ORIGIN}"):
            d = d.replace(token, origin)
        out.append(os.path.normpath(d))
    return out


def parse_ld_cache(data: bytes, machine: str = "EM_X86_64") -> dict[str, str]:
    """soname -> path for this machine's 64-bit libraries, first entry wins (ld.so's order)."""
    start = data.find(CACHE_MAGIC)
    if start < 0:
        return {}
    try:
        nlibs, _ = struct.unpack_from("<II", data, start + 20)
        want = {"EM_X86_64": FLAG_X8664_LIB64, "EM_AARCH64": FLAG_AARCH64_LIB64}.get(machine)
        found: dict[str, str] = {}
        entries = start + 48
        for n in range(min(nlibs, 1 << 20)):
            flags, key, value = struct.unpack_from("<iII", data, entries + n * 24)
            if flags & 0xFF != FLAG_ELF_LIBC6 or (want and flags & 0xFF00 != want):
                continue
            name, path = _cstring(data, start + key), _cstring(data, start + value)
            found.setdefault(name, path)
        return found
    except struct.error:
        return {}


def _cstring(data: bytes, at: int) -> str:
    end = data.find(b"\0", at)
    return data[at : end if end >= 0 else len(data)].decode("utf-8", "replace")
