"""pip aimed at an externally-managed system Python (PEP 668).

## What it does

Looks for the `EXTERNALLY-MANAGED` marker in the examined interpreter's standard library folder
(Debian and Ubuntu 23.04+, Fedora 38+, Homebrew, Arch put it there). A system interpreter that
carries it, examined outside a virtual environment, warns: `pip install` will refuse.

## Why is this bad?

`error: externally-managed-environment` on every `pip install`; the way out that the message
offers, `--break-system-packages`, can break the system's own tools.

## Example

```
$ devdoctor check pep668-externally-managed --python /usr/bin/python3
  ! DD503 pep668-externally-managed: /usr/bin/python3 is managed by the system (EXTERNALLY-
    MANAGED): pip install will refuse; work in a virtual environment
```

## Fix

Display-only: create a virtual environment (with the exact command) and install there; or
`pipx` for a command-line tool.

## Fix safety

Display-only: which environment to create is yours to choose.
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


def _fix(ctx: Context) -> Fix:
    python = ctx.location.python or "python3"
    venv = os.path.join(os.path.expanduser("~"), ".venvs", "work")
    steps = (
        shlex.join([python, "-m", "venv", venv]) + " && . " + shlex.quote(venv + "/bin/activate")
    )
    return Fix(
        "Work in a virtual environment",
        Applicability.DISPLAY_ONLY,
        instructions=f"run: {steps} (then pip install there; pipx for command-line tools)",
    )


def check(ctx: Context, settings: Any) -> Iterator[Diagnostic]:
    try:
        target = ctx.target()
    except TargetError as exc:
        yield Diagnostic(Status.SKIP, f"cannot examine the environment: {exc}")
        return
    stdlib = target.paths.get("stdlib", "")
    marker = os.path.join(stdlib, "EXTERNALLY-MANAGED")
    if target.is_venv or not stdlib or not os.path.isfile(marker):
        yield Diagnostic(Status.PASS, "pip may install here (no EXTERNALLY-MANAGED marker)")
        return
    yield Diagnostic(
        Status.WARN,
        f"{target.executable} is managed by the system ({marker}): pip install will refuse; "
        "work in a virtual environment",
        {"marker": marker},
        (_fix(ctx),),
        key=marker,
    )


def fix_from_log(ctx: Context, facts: Mapping[str, Any], settings: Any) -> Fix | None:
    return _fix(ctx)


RULE = Rule(
    code="DD503",
    name="pep668-externally-managed",
    summary="pip aimed at an externally-managed system Python",
    scope=Scope.ENVIRONMENT,
    check=check,
    fix_availability=FixAvailability.NEVER,
    signatures=(
        Signature(
            ("externally-managed-environment", "environment is externally managed"),
            r"externally-managed-environment|environment is externally managed",
            "pip refused a system Python (PEP 668)",
        ),
        Signature(
            ("--break-system-packages", "PEP 668", "README.venv"),
            r"--break-system-packages|PEP 668|README\.venv",
            "pip refused a system Python (PEP 668)",
        ),
    ),
    fix_from_log=fix_from_log,
)
