"""Leftovers of interrupted installs (`~pkg`, `~kg-1.0.dist-info`) in site-packages.

## What it does

Lists the entries of the examined environment's site-packages whose names start with `~`: pip
renames what it is replacing that way and deletes it at the end; an install killed half-way
leaves them behind.

## Why is this bad?

Every later pip command prints `WARNING: Ignoring invalid distribution ~ip (...)` (since pip 26:
`Ignoring incompletely removed distribution ~ip-24.0.dist-info`), and a
half-removed package can shadow or break the real one.

## Example

```
$ devdoctor check invalid-distributions
  ! DD507 invalid-distributions: 2 leftovers of interrupted installs in site-packages: ~orch,
    ~orch-2.4.1.dist-info
```

## Fix

Move them into `.devdoctor-trash/` beside site-packages (one rename each, nothing deleted); then
`pip list` in a new process prints no warning. `devdoctor undo` moves them back.

## Fix safety

Safe: nothing is deleted, undo moves everything back.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from devdoctor.api import (
    Applicability,
    Context,
    Diagnostic,
    Fix,
    FixAvailability,
    MoveEdit,
    Rule,
    Scope,
    Signature,
    Status,
    TargetError,
    run_script,
)


def leftovers(ctx: Context) -> list[Path]:
    found = []
    for site in ctx.target().site_packages:
        try:
            found += [Path(site, n) for n in sorted(os.listdir(site)) if n.startswith("~")]
        except OSError:
            continue
    return found


def _fix(ctx: Context, found: list[Path]) -> Fix:
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(ctx.clock()))
    edits = tuple(MoveEdit(p, p.parent.parent / ".devdoctor-trash" / stamp / p.name) for p in found)
    python = ctx.location.python or "python3"

    def verify(env: Mapping[str, str]) -> str | None:
        script = (
            "import subprocess, sys\nerr = subprocess.run([sys.executable, '-m', 'pip', 'list'],"
            " capture_output=True, text=True).stderr\n"
            "sys.exit('pip still warns' if 'distribution ~' in err else 0)"
        )
        return run_script(python, script, (), env, 120.0)

    return Fix(
        f"Move {len(found)} leftovers to .devdoctor-trash", Applicability.SAFE, edits, verify=verify
    )


def check(ctx: Context, settings: Any) -> Iterator[Diagnostic]:
    try:
        found = leftovers(ctx)
    except TargetError as exc:
        yield Diagnostic(Status.SKIP, f"cannot examine the environment: {exc}")
        return
    if not found:
        yield Diagnostic(Status.PASS, "no leftovers of interrupted installs")
        return
    yield Diagnostic(
        Status.WARN,
        f"{len(found)} leftovers of interrupted installs in site-packages: "
        + ", ".join(p.name for p in found[:5]),
        {"leftovers": [str(p) for p in found]},
        (_fix(ctx, found),),
        key="leftovers",
    )


def fix_from_log(ctx: Context, facts: Mapping[str, Any], settings: Any) -> Fix | None:
    try:
        found = leftovers(ctx)
    except TargetError:
        return None
    return _fix(ctx, found) if found else None


RULE = Rule(
    code="DD507",
    name="invalid-distributions",
    summary="Leftovers of interrupted installs in site-packages",
    scope=Scope.ENVIRONMENT,
    node=True,
    check=check,
    fix_availability=FixAvailability.ALWAYS,
    signatures=(
        # pip's words before and since 26 ("incompletely removed distribution")
        Signature(
            ("Ignoring invalid distribution", "Ignoring incompletely removed distribution"),
            r"Ignoring (?:invalid|incompletely removed) distribution (?P<name>\S{1,128}) "
            r"\((?P<folder>[^)\n]{1,4096})\)",
            "pip found a leftover of an interrupted install: {name} in {folder}",
        ),
    ),
    fix_from_log=fix_from_log,
)
