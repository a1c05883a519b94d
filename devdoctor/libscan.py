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
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devdoctor.elf import TlsInfo, Unreadable, read_tls

LIBRARY = re.compile(r"\.so(\.[0-9][0-9A-Za-z_.]*)?$")
SKIPPED_DIRS = {"__pycache__", "include", "node_modules"}
SKIPPED_SUFFIXES = (".dist-info", ".egg-info")


@dataclass(frozen=True)
class Library:
    path: str  # as found (may be a symlink)
    realpath: str
    info: TlsInfo | None
    error: str | None = None  # why it could not be read


def library_paths(roots: Iterable[str]) -> list[str]:
    found: list[str] = []
    for root in roots:
        for folder, dirs, files in os.walk(root):
            dirs[:] = [
                d for d in dirs if d not in SKIPPED_DIRS and not d.endswith(SKIPPED_SUFFIXES)
            ]
            found.extend(os.path.join(folder, f) for f in files if LIBRARY.search(f))
    return sorted(found)


class TlsCache:
    def __init__(self, file: Path | None) -> None:
        self.file = file
        self.entries: dict[str, list[Any]] = {}
        self.changed = False
        if file is not None:
            with contextlib.suppress(OSError, ValueError):
                loaded = json.loads(file.read_text())
                if isinstance(loaded, dict):
                    self.entries = loaded

    def read(self, real: str) -> Library:
        try:
            st = os.stat(real)
        except OSError as exc:
            return Library(real, real, None, exc.strerror or str(exc))
        stamp = [st.st_size, st.st_mtime_ns]
        cached = self.entries.get(real)
        if cached and cached[:2] == stamp:
            info = TlsInfo(**cached[2]) if cached[2] else None
            return Library(real, real, info, cached[3])
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
            self.file.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.file.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(self.entries))
            os.replace(tmp, self.file)


def scan(roots: Iterable[str], cache_file: Path | None) -> list[Library]:
    """Every library under the roots once (symlinks resolved), readable or not."""
    cache = TlsCache(cache_file)
    seen: set[str] = set()
    libraries = []
    for path in library_paths(roots):
        try:
            real = str(Path(path).resolve(strict=True))
        except (OSError, RuntimeError) as exc:  # dangling link, symlink loop
            libraries.append(Library(path, path, None, getattr(exc, "strerror", None) or str(exc)))
            continue
        if real in seen or not os.path.isfile(real):
            continue
        seen.add(real)
        lib = cache.read(real)
        libraries.append(Library(path, real, lib.info, lib.error))
    cache.save()
    return libraries
