"""Proof in a new process of the target interpreter: load libraries, import modules or read
which files the loader mapped there, with the environment a fix would give it — never in
devdoctor's own process."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from devdoctor.api import run_script

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

_IMPORTER = r"""
import importlib, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
"""

_MAPPED = r"""
import ctypes, os, sys
ctypes.CDLL(sys.argv[1])
maps = {line.split()[-1] for line in open('/proc/self/maps') if '/' in line}
wrong = [p for p in sys.argv[2:] if os.path.realpath(p) not in {os.path.realpath(m) for m in maps}]
if wrong:
    sys.exit('not loaded from ' + ', '.join(wrong))
"""


def load_in_child(
    python: str,
    env: Mapping[str, str],
    libraries: Sequence[str],
    imports: Sequence[str],
    timeout: float,
) -> str | None:
    """None when every library loads in a new process with `env`; else what went wrong."""
    return run_script(python, _LOADER, [",".join(imports), *libraries], env, timeout)


def import_in_child(
    python: str, env: Mapping[str, str], modules: Sequence[str], timeout: float
) -> str | None:
    """None when every module imports cleanly in a new process with `env` (a warning printed
    on the way, like NumPy's "compiled using NumPy 1.x", counts as failing); else why."""
    return run_script(python, _IMPORTER, modules, env, timeout, "compiled using NumPy 1.x")


def loads_from_in_child(
    python: str, env: Mapping[str, str], library: str, expected: Sequence[str], timeout: float
) -> str | None:
    """None when loading `library` in a new process maps exactly the `expected` files for its
    dependencies (the real loader's choice, read from /proc/self/maps); else why not."""
    return run_script(python, _MAPPED, [library, *expected], env, timeout)
