"""A file or folder in the project is named like an installed package (`torch.py`, `datasets/`)
and is imported instead of it.

## What it does

Lists the top-level names the examined environment's distributions install (from their
metadata: `top_level.txt` or `RECORD`), then looks in the working directory — the first entry on
`sys.path` when a script or `python -c` runs there — for a `<name>.py` or a `<name>/` folder.
Only a folder that is a package, or that holds Python files, counts (a `data/` of CSV files is
not imported).

## Why is this bad?

`AttributeError: partially initialized module 'torch' has no attribute 'cuda' (most likely due
to a circular import)`, `module 'datasets' has no attribute 'load_dataset'`, `cannot import name
'load_dataset' from 'datasets' (unknown location)`: the project's own file answers the import.

## Example

```
$ devdoctor check local-module-shadowing
  ✗ DD506 local-module-shadowing: ./torch.py is imported instead of the installed torch 2.4.1
```

## Fix

Display-only: rename the file or folder (the exact `git mv` or `mv`), and delete a stale
`__pycache__/<name>.*.pyc` next to it.

## Fix safety

Display-only: renaming a project file changes the project's own imports.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Iterator, Mapping
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
    TargetError,
)

from ._metadata import by_installed, distributions, top_level


def shadows(ctx: Context) -> list[tuple[str, str, str]]:
    """(project path, name, the distribution it hides)."""
    cwd = str(ctx.cwd)
    try:
        entries = set(os.listdir(cwd))
    except OSError:
        return []
    provided: dict[str, str] = by_installed(ctx, "top-level", lambda: _top_levels(ctx))
    found = []
    for name, dist in sorted(provided.items()):
        if f"{name}.py" in entries:
            found.append((os.path.join(cwd, f"{name}.py"), name, dist))
        elif name in entries and _is_package(os.path.join(cwd, name)):
            found.append((os.path.join(cwd, name), name, dist))
    return found


def _top_levels(ctx: Context) -> dict[str, str]:
    """Each importable top-level name with the distribution ("name version") that provides it."""
    return {
        name: f"{dist.name} {dist.version}"
        for dist in distributions(ctx).values()
        for name in top_level(dist)
    }


def _is_package(folder: str) -> bool:
    try:
        return os.path.isdir(folder) and any(n.endswith(".py") for n in os.listdir(folder))
    except OSError:
        return False


def _fix(path: str, name: str) -> Fix:
    new = f"{name}_local" + (".py" if path.endswith(".py") else "")
    target = os.path.join(os.path.dirname(path), new)
    return Fix(
        f"Rename {os.path.basename(path)}",
        Applicability.DISPLAY_ONLY,
        instructions=f"run: {shlex.join(['mv', path, target])} (git mv in a repository), "
        "and update the project's imports of it",
    )


def check(ctx: Context, settings: Any) -> Iterator[Diagnostic]:
    try:
        found = shadows(ctx)
    except TargetError as exc:
        yield Diagnostic(Status.SKIP, f"cannot examine the environment: {exc}")
        return
    if not found:
        yield Diagnostic(Status.PASS, "no project file is named like an installed package")
        return
    for path, name, dist in found:
        yield Diagnostic(
            Status.FAIL,
            f"{path} is imported instead of the installed {dist}",
            {"path": path, "module": name, "distribution": dist},
            (_fix(path, name),),
            key=path,
        )


def fix_from_log(ctx: Context, facts: Mapping[str, Any], settings: Any) -> Fix | None:
    try:
        found = shadows(ctx)
    except TargetError:
        return None
    module = facts.get("module")
    for path, name, _ in found:
        if module in (None, name):
            return _fix(path, name)
    return None


RULE = Rule(
    code="DD506",
    name="local-module-shadowing",
    summary="A project file named like an installed package is imported instead of it",
    scope=Scope.REPOSITORY,
    check=check,
    fix_availability=FixAvailability.NEVER,
    signatures=(
        # a namespace package: a folder without __init__.py answered the import
        Signature(
            "unknown location",
            r"unknown location\)",
            "a folder in the project answered the import (unknown location)",
            context=r"cannot import name",
        ),
        Signature(
            "partially initialized module",
            r"partially initialized module '(?P<module>[\w.]{1,128})' has no attribute",
            "module {module} was imported while it imported itself: a project file named "
            "{module}.py?",
            certain=False,
            to_tell="Is there a {module}.py or {module}/ in the working directory? If not, it is "
            "a real circular import in the code",
        ),
    ),
    fix_from_log=fix_from_log,
)
