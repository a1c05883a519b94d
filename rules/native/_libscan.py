"""Find the shared libraries of an environment and read their TLS facts, with a cache.

The cache maps each library's real path to (size, mtime) and what was read, so a second scan
only stats files. Folders that never hold loadable libraries (headers, bytecode, metadata) are
not walked: torch alone ships thousands of headers.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import stat
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devdoctor.api import Context, write_private

from ._elf import TlsInfo, Unreadable, read_tls

LIBRARY = re.compile(r"\.so(\.[0-9][0-9A-Za-z_.]*)?$")
SKIPPED_DIRS = {"__pycache__", "include", "node_modules"}
SKIPPED_AFFIXES = (".dist-info", ".egg-info")


@dataclass(frozen=True)
class Library:
    path: str  # as found (may be a symlink)
    realpath: str
    info: TlsInfo | None
    error: str | None = None  # why it could not be read


class TlsCache:
    def __init__(self, file: Path | None) -> None:
        self.file = file
        self.entries: dict[str, list[Any]] = {}  # real path -> size, mtime, info, error
        self.folders: dict[str, list[Any]] = {}  # folder -> mtime, sub-folders, libraries
        if file is not None:
            with contextlib.suppress(OSError, ValueError, TypeError, KeyError):
                loaded = json.loads(file.read_text())
                self.entries, self.folders = dict(loaded["libraries"]), dict(loaded["folders"])
        self.changed = False

    def read(self, real: str) -> Library:
        try:
            st = os.stat(real)
        except OSError as exc:
            return Library(real, real, None, exc.strerror or str(exc))
        if not stat.S_ISREG(st.st_mode):  # a FIFO named *.so would block the read
            return Library(real, real, None, "not a regular file")
        stamp = [st.st_size, st.st_mtime_ns]
        cached = self.entries.get(real)
        with contextlib.suppress(TypeError, ValueError, IndexError, KeyError):
            if cached and cached[:2] == stamp:  # a damaged entry is read again
                info = TlsInfo(**cached[2]) if cached[2] else None
                return Library(real, real, info, str(cached[3]) if cached[3] else None)
        try:
            info, error = read_tls(real), None
        except Unreadable as exc:
            info, error = None, str(exc)
        self.entries[real] = [*stamp, info.as_dict() if info else None, error]
        self.changed = True
        return Library(real, real, info, error)

    def save(self) -> None:
        if self.file is None or not self.changed:
            return
        with contextlib.suppress(OSError):
            payload = {"libraries": self.entries, "folders": self.folders}
            write_private(self.file, json.dumps(payload).encode())


def _listing(folder: str) -> tuple[list[str], list[str]]:
    """(sub-folders worth walking, library file names) of one folder."""
    dirs, libs = [], []
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if entry.name not in SKIPPED_DIRS and not entry.name.endswith(SKIPPED_AFFIXES):
                    dirs.append(entry.name)
            elif LIBRARY.search(entry.name):
                libs.append(entry.name)
    return dirs, libs


def _listing_ok(cached: Any, mtime: int) -> bool:
    """A cached folder listing that is current and well-formed (the cache file may be damaged)."""
    return (
        isinstance(cached, list)
        and len(cached) == 3
        and cached[0] == mtime
        and all(isinstance(v, list) and all(isinstance(n, str) for n in v) for v in cached[1:])
    )


def library_paths(roots: Iterable[str], cache: TlsCache | None = None) -> list[str]:
    """Library files under the roots. The cache keeps each folder's listing by its mtime
    (adding or removing an entry changes it), so a warm walk only stats folders."""
    folders = cache.folders if cache else {}
    found: list[str] = []
    stack = list(roots)
    while stack:
        folder = stack.pop()
        try:
            mtime = os.stat(folder).st_mtime_ns
            cached = folders.get(folder)
            if cached is not None and _listing_ok(cached, mtime):
                dirs, libs = cached[1], cached[2]
            else:
                dirs, libs = _listing(folder)
                folders[folder] = [mtime, dirs, libs]
                if cache:
                    cache.changed = True
        except OSError:
            continue
        stack.extend(os.path.join(folder, d) for d in dirs)
        found.extend(os.path.join(folder, f) for f in libs)
    return sorted(found)


def scan(roots: Iterable[str], cache_file: Path | None) -> list[Library]:
    """Every library under the roots once (symlinks resolved), readable or not."""
    cache = TlsCache(cache_file)
    seen: set[str] = set()
    real_folders: dict[str, str] = {}
    libraries = []
    for path in library_paths(roots, cache):
        folder, name = os.path.split(path)
        if os.path.islink(path):
            try:
                real = str(Path(path).resolve(strict=True))
            except (OSError, RuntimeError) as exc:  # dangling link, symlink loop
                reason = getattr(exc, "strerror", None) or str(exc)
                libraries.append(Library(path, path, None, reason))
                continue
        else:  # resolving the folder once is enough (a warm scan is mostly this loop)
            if folder not in real_folders:
                real_folders[folder] = os.path.realpath(folder)
            real = os.path.join(real_folders[folder], name)
        if real in seen:
            continue
        seen.add(real)
        lib = cache.read(real)
        libraries.append(Library(path, real, lib.info, lib.error))
    cache.save()
    return libraries


def libraries(ctx: Context) -> list[Library]:
    """Every shared library in the target's site-packages, with its TLS facts; scanned once per
    run and cached on disk by (path, size, mtime). Raises TargetError when the target cannot
    be asked."""
    roots = ctx.target().site_packages
    # One cache file per environment: loading every environment's entries would cost more than
    # the scan it saves (a torch environment alone holds thousands of folder listings).
    key = f"{zlib.crc32(chr(0).join(roots).encode()):08x}"
    cache = ctx.cache_dir / f"static-tls-{key}.json" if ctx.cache_dir else None
    return ctx.memo("native.libraries", lambda: scan(roots, cache))
