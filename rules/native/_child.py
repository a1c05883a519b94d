"""Proof in a new process of the target interpreter: load libraries (or import modules) there,
with the environment a fix would give it, never in devdoctor's own process."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence

# Runs in the target interpreter: the usual heavy imports, then each library, in that order.
_LOADER = r"""
import ctypes, importlib, sys
for name in filter(None, sys.argv[1].split(",")):
    try:
        importlib.import_module(name)
    except Exception:
        pass
for path in sys.argv[2:]:
    ctypes.CDLL(path)
"""


def load_in_child(
    python: str,
    env: Mapping[str, str],
    libraries: Sequence[str],
    imports: Sequence[str],
    timeout: float,
) -> str | None:
    """None when every library loads in a new process with `env`; else what went wrong."""
    try:
        proc = subprocess.run(
            [python, "-c", _LOADER, ",".join(imports), *libraries],
            env=dict(env),
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"the test process did not finish in {timeout:g} s"
    except OSError as exc:
        return f"cannot start {python}: {exc.strerror}"
    if proc.returncode == 0:
        return None
    lines = proc.stderr.strip().splitlines() or [f"exit code {proc.returncode}"]
    return lines[-1]
