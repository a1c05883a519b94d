"""The target probe's answer, kept between runs: a child interpreter costs 20-60 ms, and what it
reports changes only when the interpreter or its site-packages change. The answer is reused
while the interpreter file (path, size, mtime), HOME (the user site) and the mtime of every
site-packages folder it reported are the same; installing or removing a distribution changes
its folder's mtime."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from devdoctor.core.target import TargetFacts, probe_json


def _stamp(python: str, env: Mapping[str, str], folders: list[str]) -> list[Any]:
    real = os.path.realpath(python)
    st = os.stat(real)
    stamp: list[Any] = [python, real, st.st_size, st.st_mtime_ns, env.get("HOME", "")]
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
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache_file.with_suffix(f".{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(entries, f)
        os.replace(tmp, cache_file)
    return TargetFacts.from_json(facts)
