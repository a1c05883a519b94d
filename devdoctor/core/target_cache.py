"""The target probe's answer, kept between runs: a child interpreter costs 20-60 ms, and what it
reports changes only when the interpreter or its site-packages change. The answer is reused
while the interpreter file (path, size, mtime), HOME (the user site) and the mtime of every
site-packages folder it reported are the same; installing or removing a distribution changes
its folder's mtime."""

from __future__ import annotations

import contextlib
import json
import os
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from devdoctor.core.target import _PROBE, TargetFacts, probe_json
from devdoctor.private import write_private


def _stamp(python: str, env: Mapping[str, str], folders: list[str]) -> list[Any]:
    real = os.path.realpath(python)
    st = os.stat(real)
    probe = zlib.crc32(_PROBE.encode())  # a newer devdoctor asks more: the old answer is stale
    stamp: list[Any] = [probe, python, real, st.st_size, st.st_mtime_ns, env.get("HOME", "")]
    for folder in folders:
        try:
            stamp.append([folder, os.stat(folder).st_mtime_ns])
        except OSError:
            stamp.append([folder, None])
    return stamp


def probe(python: str, env: Mapping[str, str], cache_file: Path | None) -> TargetFacts:
    """The target's facts, from the cache when nothing they depend on changed."""
    if cache_file is None:
        return TargetFacts.from_json(probe_json(python, env))
    entries: dict[str, Any] = {}
    with contextlib.suppress(OSError, ValueError):
        loaded = json.loads(cache_file.read_text())
        entries = loaded if isinstance(loaded, dict) else {}
    cached = entries.get(python)
    with contextlib.suppress(OSError, KeyError, TypeError, ValueError, AttributeError):
        if cached and cached["stamp"] == _stamp(python, env, cached["facts"]["site_packages"]):
            return TargetFacts.from_json(cached["facts"])
    facts = probe_json(python, env)
    with contextlib.suppress(OSError):
        entries[python] = {"stamp": _stamp(python, env, facts["site_packages"]), "facts": facts}
        write_private(cache_file, json.dumps(entries).encode())
    return TargetFacts.from_json(facts)
