"""The examined environment's distributions read from their metadata files — name, version,
`Requires-Dist`, the folder that holds them, what they install at top level — without importing
anything, once per run. Requirements and markers are evaluated with `packaging`, against the
examined interpreter (not devdoctor's)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from devdoctor.api import VERSION, Context, TargetFacts, write_private


class Dist(NamedTuple):
    name: str
    key: str  # PEP 503 normalised
    version: str
    requires: tuple[str, ...]
    folder: str  # the site directory it is installed in
    info: str  # its .dist-info folder


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _read(info: Path, folder: str) -> Dist | None:
    try:
        text = (info / "METADATA").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    import email.parser  # when a python rule runs, not when the rules are listed

    head = text.split("\n\n", 1)[0]  # the body (the long description) is not needed
    message = email.parser.HeaderParser().parsestr(head)
    name = message.get("Name")
    if not name:
        return None
    requires = tuple(message.get_all("Requires-Dist") or ())
    return Dist(name, canonical(name), message.get("Version", ""), requires, folder, str(info))


def read_folder(folder: str) -> list[Dist]:
    """The distributions installed in one site directory."""
    return [d for info in sorted(Path(folder).glob("*.dist-info")) if (d := _read(info, folder))]


def distributions(ctx: Context) -> dict[str, Dist]:
    """key -> the distribution Python would import (the first on sys.path wins)."""

    def compute() -> dict[str, Dist]:
        found: dict[str, Dist] = {}
        target = ctx.target()
        order = {folder: n for n, folder in enumerate(target.sys_path)}
        # In import order: the user site comes before the environment's own.
        for folder in sorted(target.site_packages, key=lambda f: order.get(f, len(order))):
            for dist in read_folder(folder):
                found.setdefault(dist.key, dist)
        return found

    return ctx.memo("python.distributions", compute)


def marker_env(target: TargetFacts) -> dict[str, str]:
    """What PEP 508 markers see in the examined interpreter."""
    major, minor = target.version.split(".")[:2]
    return {
        "python_version": f"{major}.{minor}",
        "python_full_version": target.version,
        "implementation_name": target.implementation.lower(),
        "platform_python_implementation": target.implementation,
        "sys_platform": target.platform,
        "platform_machine": target.machine,
        "platform_system": {"linux": "Linux", "darwin": "Darwin", "win32": "Windows"}.get(
            target.platform, target.platform
        ),
        "os_name": "nt" if target.platform == "win32" else "posix",
        "extra": "",
    }


def top_level(dist: Dist) -> set[str]:
    """The import names a distribution installs (top_level.txt, else its RECORD)."""
    info = Path(dist.info)
    try:
        return {n.strip() for n in (info / "top_level.txt").read_text().split() if n.strip()}
    except OSError:
        pass
    names = set()
    try:
        for line in (info / "RECORD").read_text(errors="replace").splitlines():
            first = line.split(",", 1)[0].split("/", 1)
            if len(first) == 2 and not first[0].endswith((".dist-info", ".data")):
                names.add(first[0])
            elif first[0].endswith(".py"):
                names.add(first[0][:-3])
    except OSError:
        pass
    return {n for n in names if n.isidentifier()}


def exists(path: str) -> bool:
    return os.path.lexists(path)


def by_installed(ctx: Context, kind: str, compute: Callable[[], Any], salt: str = "") -> Any:
    """compute()'s JSON-able answer, kept on disk until a site-packages folder changes (an
    install or removal changes its mtime), devdoctor changes, or `salt` (the data the answer
    also depends on, such as a table) does: a warm check neither reads metadata nor imports
    packaging. One file per environment, so two environments do not evict each other."""
    target = ctx.target()
    stamp: list[Any] = [VERSION, zlib.crc32(salt.encode()), target.executable, target.version]
    for folder in target.site_packages:
        try:
            stamp.append([folder, os.stat(folder).st_mtime_ns])
        except OSError:
            stamp.append([folder, None])
    key = f"{zlib.crc32(target.executable.encode()):08x}"
    file = ctx.cache_dir / f"python-{kind}-{key}.json" if ctx.cache_dir else None
    if file is not None:
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            cached = json.loads(file.read_text())
            if cached["stamp"] == stamp:
                return cached["value"]
    value = compute()
    if file is not None:
        with contextlib.suppress(OSError, TypeError, ValueError):
            write_private(file, json.dumps({"stamp": stamp, "value": value}).encode())
    return value
