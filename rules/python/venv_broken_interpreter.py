"""A virtual environment whose interpreter points at a Python that was removed or changed.

## What it does

Reads the examined virtual environment's files without running it: `pyvenv.cfg` (`home`,
`version`), and where `bin/python` leads. A link that leads nowhere, or a `home` without the
Python of the recorded version, fails. The environment examined is the one `--python` names, or
the active one (`VIRTUAL_ENV`).

## Why is this bad?

Everything in it stops at once: `bad interpreter: No such file or directory`, uv's `Broken
symlink at .venv/bin/python3, was the underlying Python interpreter removed?` — after a pyenv,
uv or Homebrew upgrade removed the Python it was made from.

## Example

```
$ devdoctor check venv-broken-interpreter
  ✗ DD504 venv-broken-interpreter: .venv/bin/python leads to /home/u/.pyenv/versions/3.11.7/
    bin/python3.11, which no longer exists (pyvenv.cfg: version 3.11.7)
```

## Fix

Display-only: recreate it with a Python of that version (the exact `python -m venv --clear`
command), then reinstall what it held — the list is read from its `site-packages` metadata and
printed as a `pip install` command.

## Fix safety

Display-only: recreating an environment is yours to decide.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from devdoctor.api import (
    Applicability,
    Context,
    Diagnostic,
    Fix,
    FixAvailability,
    Rule,
    Scope,
    Signature,
    Status,
)


def examined(ctx: Context) -> Path | None:
    """The venv to examine: --python's, else the active one; read without running it."""
    python = ctx.python or (
        os.path.join(ctx.env["VIRTUAL_ENV"], "bin", "python")
        if ctx.env.get("VIRTUAL_ENV")
        else None
    )
    if not python:
        return None
    prefix = Path(os.path.abspath(python)).parent.parent
    return prefix if (prefix / "pyvenv.cfg").is_file() else None


def config(prefix: Path) -> dict[str, str]:
    found = {}
    for line in (prefix / "pyvenv.cfg").read_text(errors="replace").splitlines():
        key, sep, value = line.partition("=")
        if sep:
            found[key.strip()] = value.strip()
    return found


def requirements(prefix: Path) -> list[str]:
    """name==version of what the venv holds, from its metadata."""
    found = []
    for info in sorted(prefix.glob("lib/python*/site-packages/*.dist-info")):
        name, _, version = info.name.removesuffix(".dist-info").rpartition("-")
        if name and name.lower() not in ("pip", "setuptools", "wheel"):
            found.append(f"{name}=={version}")
    return found


def _fix(prefix: Path, version: str) -> Fix:
    minor = ".".join(version.split(".")[:2]) or "3"
    reinstall = requirements(prefix)
    steps = shlex.join([f"python{minor}", "-m", "venv", "--clear", str(prefix)])
    if reinstall:
        steps += " && " + shlex.join(
            [str(prefix / "bin" / "python"), "-m", "pip", "install", *reinstall]
        )
    return Fix(
        f"Recreate {prefix} with Python {minor}",
        Applicability.DISPLAY_ONLY,
        instructions=f"run: {steps}",
    )


def check(ctx: Context, settings: Any) -> Iterator[Diagnostic]:
    prefix = examined(ctx)
    if prefix is None:
        yield Diagnostic(Status.PASS, "no virtual environment is examined")
        return
    cfg = config(prefix)
    python = prefix / "bin" / "python"
    version = cfg.get("version", cfg.get("version_info", ""))
    facts: dict[str, Any] = {"venv": str(prefix), "home": cfg.get("home"), "version": version}
    target = os.path.realpath(python)
    if not os.path.exists(python):
        why = (
            f"{python} leads to {target}, which no longer exists"
            if os.path.islink(python)
            else (f"{python} is missing")
        )
    elif cfg.get("home") and not os.path.isdir(cfg["home"]):
        why = f"pyvenv.cfg's home {cfg['home']} no longer exists"
    else:
        yield Diagnostic(Status.PASS, f"{prefix}'s interpreter is there ({target})", facts)
        return
    yield Diagnostic(
        Status.FAIL,
        why + (f" (pyvenv.cfg: version {version})" if version else ""),
        facts,
        (_fix(prefix, version),),
        key=str(prefix),
    )


def fix_from_log(ctx: Context, facts: Mapping[str, Any], settings: Any) -> Fix | None:
    prefix = examined(ctx)
    if prefix is None:
        return None
    return _fix(prefix, config(prefix).get("version", ""))


RULE = Rule(
    code="DD504",
    name="venv-broken-interpreter",
    summary="A venv whose interpreter was removed or changed",
    scope=Scope.ENVIRONMENT,
    node=True,
    check=check,
    fix_availability=FixAvailability.NEVER,
    signatures=(
        Signature(
            "bad interpreter",
            r"bad interpreter: No such file or directory",
            "a script's interpreter (a venv's python?) is gone",
            context=r"/bin/python|venv|virtualenv",
        ),
        Signature(
            ("Broken symlink at", "Failed to inspect Python interpreter from"),
            r"Broken symlink at|Failed to inspect Python interpreter from",
            "the virtual environment's interpreter is gone",
        ),
    ),
    fix_from_log=fix_from_log,
)
