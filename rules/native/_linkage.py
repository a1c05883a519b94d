"""The dynamic-linking facts of an environment's libraries (DT_NEEDED, RUNPATH, symbol versions)
and a loader for it, once per run; each library's facts cached on disk by (path, size, mtime)
beside the TLS cache, so a warm check only stats files."""

from __future__ import annotations

import contextlib
import json
import os
import stat
import threading
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, NamedTuple

from devdoctor.api import Context, write_private

from ._dynamic import DynamicInfo, read_dynamic
from ._elf import Unreadable
from ._libscan import libraries
from ._loader import Loader


class Linked(NamedTuple):
    path: str  # as found in site-packages
    realpath: str
    info: DynamicInfo | None
    error: str | None = None


class Infos:
    """The linking facts of any library file, cached on disk by (path, size, mtime) and shared
    by the rules of a run (they run in threads: one lock)."""

    def __init__(self, file: Path | None) -> None:
        self.file, self.changed = file, False
        self.entries: dict[str, list[Any]] = {}
        self.lock = threading.Lock()
        if file is not None:
            with contextlib.suppress(OSError, ValueError, TypeError):
                loaded = json.loads(file.read_text())
                self.entries = loaded if isinstance(loaded, dict) else {}

    def read(self, path: str) -> tuple[DynamicInfo | None, str | None]:
        try:
            st = os.stat(path)
        except OSError as exc:
            return None, exc.strerror or str(exc)
        if not stat.S_ISREG(st.st_mode):
            return None, "not a regular file"
        stamp = [st.st_size, st.st_mtime_ns]
        cached = self.entries.get(path)
        with contextlib.suppress(TypeError, ValueError, KeyError, IndexError, AssertionError):
            if cached and cached[:2] == stamp:
                return (DynamicInfo.from_dict(cached[2]) if cached[2] else None), cached[3]
        try:
            info, error = read_dynamic(path), None
        except Unreadable as exc:
            info, error = None, str(exc)
        with self.lock:
            self.entries[path] = [*stamp, info.as_dict() if info else None, error]
            self.changed = True
        return info, error

    def get(self, path: str) -> DynamicInfo | None:
        return self.read(path)[0]

    def save(self) -> None:
        with self.lock:
            if self.file is None or not self.changed:
                return
            self.changed = False
            data = json.dumps(self.entries).encode()
        with contextlib.suppress(OSError):
            write_private(self.file, data)


def infos(ctx: Context) -> Infos:
    def compute() -> Infos:
        roots = ctx.target().site_packages
        key = f"{zlib.crc32(chr(0).join(roots).encode()):08x}"
        return Infos(ctx.cache_dir / f"linkage-{key}.json" if ctx.cache_dir else None)

    return ctx.memo("native.infos", compute)


def linked(ctx: Context) -> list[Linked]:
    """Every library in the target's site-packages with its linking facts (TargetError when
    the target cannot be asked)."""

    def compute() -> list[Linked]:
        cache = infos(ctx)
        found = []
        for lib in libraries(ctx):
            info, error = cache.read(lib.realpath) if lib.error is None else (None, lib.error)
            found.append(Linked(lib.path, lib.realpath, info, error))
        cache.save()
        return found

    return ctx.memo("native.linked", compute)


def loader(ctx: Context, env: dict[str, str] | None = None) -> Loader:
    """The loader of the examined environment: its LD_LIBRARY_PATH, its interpreter's RPATH;
    it reads libraries through the run's cache."""
    target = ctx.target()
    cache = infos(ctx)
    python = os.path.realpath(target.executable) if target.executable else ""
    exe = cache.get(python) if python else None
    machine = exe.machine if exe else "EM_X86_64"
    bits = exe.bits if exe else 64
    env = env if env is not None else dict(ctx.env)
    return Loader(env, machine, bits, exe, python, reader=cache.get)


def file_facts(
    ctx: Context,
    kind: str,
    paths: Iterable[str],
    compute: Callable[[str], Any],
    salt: str = "",
) -> dict[str, Any]:
    """compute(path) for each file, kept on disk by (path, size, mtime, salt) in a cache file
    of its own kind (one rule's facts: rules run in parallel, each writes only its own file).
    `salt` names what else the facts depend on (the torch they were checked against)."""
    roots = ctx.target().site_packages
    key = f"{zlib.crc32(chr(0).join(roots).encode()):08x}"
    file = ctx.cache_dir / f"{kind}-{key}.json" if ctx.cache_dir else None
    cached: dict[str, Any] = {}
    if file is not None:
        with contextlib.suppress(OSError, ValueError):
            loaded = json.loads(file.read_text())
            cached = loaded if isinstance(loaded, dict) else {}
    found, fresh, changed = {}, {}, False
    for path in paths:
        try:
            st = os.stat(path)
        except OSError:
            continue
        stamp = [st.st_size, st.st_mtime_ns, salt]
        entry = cached.get(path)
        if isinstance(entry, list) and len(entry) == 4 and entry[:3] == stamp:
            value = entry[3]
        else:
            value, changed = compute(path), True
        found[path] = value
        fresh[path] = [*stamp, value]
    if file is not None and (changed or len(fresh) != len(cached)):
        with contextlib.suppress(OSError):
            write_private(file, json.dumps(fresh).encode())
    return found


def unresolved(
    load: Loader, path: str, info: DynamicInfo, limit: int = 512
) -> list[tuple[str, str]]:
    """(library, needed by) for each library in `path`'s dependency closure that the loader
    would not find; each name resolved once, as ld.so reuses a library already loaded, and
    each with the RPATH its loaders pass down."""
    seen: set[str] = set()
    queue: list[tuple[str, DynamicInfo, tuple[str, ...]]] = [(path, info, ())]
    missing = []
    while queue and len(seen) < limit:
        requester, requester_info, inherited = queue.pop(0)
        passed_on = (*load.rpath(requester, requester_info), *inherited)
        for name in requester_info.needed:
            if name in seen:
                continue
            seen.add(name)
            resolved = load.resolve(name, requester, requester_info, inherited)
            if resolved.path is None:
                missing.append((name, requester))
                continue
            child = load.reader(resolved.path)
            if child is not None:
                queue.append((resolved.path, child, passed_on))
    return missing
