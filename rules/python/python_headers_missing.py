"""`Python.h` is missing for the examined interpreter, so source builds and Triton's JIT fail.

## What it does

Looks for `Python.h` in the examined interpreter's include folder (`sysconfig`'s `include`).
Missing: a failure when something in the environment compiles against it at run time (Triton,
torch's `cpp_extension`), a warning otherwise (the next `pip install` of a package without a
wheel will fail).

## Why is this bad?

`fatal error: Python.h: No such file or directory`, then `error: command 'x86_64-linux-gnu-gcc'
failed with exit status 1` — in a `pip install` without a wheel, or in the middle of training
when Triton compiles a kernel.

## Example

```
$ devdoctor check python-headers-missing
  ✗ DD508 python-headers-missing: /usr/include/python3.11/Python.h is missing; triton compiles
    against it at run time
```

## Fix

Display-only, it needs the system's package manager: `apt-get install python3.11-dev` (Debian,
Ubuntu), `dnf install python3.11-devel` (Fedora), or in conda the environment's own headers come
with `python` itself (reinstall it).

## Fix safety

Display-only: it needs root or the distribution's package manager.
"""

from __future__ import annotations

import os
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

BUILDERS = ("triton", "pytorch-triton", "torch")


def _fix(ctx: Context) -> Fix:
    target = ctx.target()
    minor = ".".join(target.version.split(".")[:2])
    if target.is_conda:
        how = f"conda install --force-reinstall python={minor} (its headers come with it)"
    else:
        how = (
            f"as root: apt-get install python{minor}-dev (Debian, Ubuntu) or dnf install "
            f"python{minor}-devel (Fedora)"
        )
    return Fix("Install the Python headers", Applicability.DISPLAY_ONLY, instructions=how)


def check(ctx: Context, settings: Any) -> Iterator[Diagnostic]:
    try:
        target = ctx.target()
    except TargetError as exc:
        yield Diagnostic(Status.SKIP, f"cannot examine the environment: {exc}")
        return
    include = target.paths.get("include", "")
    header = os.path.join(include, "Python.h")
    if not include or os.path.isfile(header):
        yield Diagnostic(Status.PASS, f"{header} is there")
        return
    users = [n for n in BUILDERS if target.version_of(n)]
    status = Status.FAIL if users else Status.WARN
    why = (
        f"; {users[0]} compiles against it at run time"
        if users
        else ("; a package without a wheel will not build")
    )
    yield Diagnostic(
        status,
        f"{header} is missing{why}",
        {"header": header, "users": users},
        (_fix(ctx),),
        key=header,
    )


def fix_from_log(ctx: Context, facts: Mapping[str, Any], settings: Any) -> Fix | None:
    try:
        return _fix(ctx)
    except TargetError:
        return None


RULE = Rule(
    code="DD508",
    name="python-headers-missing",
    summary="Python.h is missing, so source builds and Triton's JIT fail",
    scope=Scope.ENVIRONMENT,
    node=True,
    check=check,
    fix_availability=FixAvailability.NEVER,
    signatures=(
        Signature(
            "Python.h",
            r"Python\.h: No such file or directory",
            "the Python headers (Python.h) are not installed",
        ),
    ),
    fix_from_log=fix_from_log,
)
