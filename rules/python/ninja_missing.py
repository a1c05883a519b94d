"""torch's `cpp_extension` needs `ninja`: the environment has it but its `bin/` is not on PATH,
or it is absent.

## What it does

For an environment with torch, looks for `ninja` where `torch.utils.cpp_extension` looks — on
`PATH` (with what devdoctor persisted for the environment) — and in the environment's own
scripts folder (the `ninja` distribution installs it there).

## Why is this bad?

`RuntimeError: Ninja is required to load C++ extensions` when a model JIT-compiles its kernels
(`load()`, DeepSpeed ops, some attention kernels) — typically from a notebook or a service whose
PATH lacks the environment's `bin/`.

## Example

```
$ devdoctor check ninja-missing
  ✗ DD509 ninja-missing: /envs/x/bin/ninja is installed but not on PATH; torch's cpp_extension
    will not find it
```

## Fix

When the environment has it: put its scripts folder first on PATH for the environment; a new
process must find that ninja. When it does not: install the `ninja` distribution (unsafe).

## Fix safety

The PATH change is safe (undo removes it); the install is unsafe (undo uninstalls it).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator, Mapping
from typing import Any

from devdoctor.api import (
    Applicability,
    Context,
    Diagnostic,
    EnvChange,
    EnvOp,
    Fix,
    FixAvailability,
    PackageAdd,
    Rule,
    Scope,
    Signature,
    Status,
    TargetError,
    effective_env,
    run_script,
)


def _fix(ctx: Context) -> Fix:
    target = ctx.target()
    python = ctx.location.python or "python3"
    scripts = target.paths.get("scripts", "")
    own = os.path.join(scripts, "ninja")

    def verify(env: Mapping[str, str]) -> str | None:
        script = "import shutil, sys\nsys.exit(0 if shutil.which('ninja') else 'no ninja on PATH')"
        return run_script(python, script, (), env, 30.0)

    if scripts and os.path.isfile(own):
        return Fix(
            f"Put {scripts} first on PATH",
            Applicability.SAFE,
            env=(EnvChange("PATH", scripts, EnvOp.PREPEND),),
            verify=verify,
        )
    return Fix("Install ninja", Applicability.UNSAFE, (PackageAdd(python, "ninja"),), verify=verify)


def check(ctx: Context, settings: Any) -> Iterator[Diagnostic]:
    try:
        target = ctx.target()
    except TargetError as exc:
        yield Diagnostic(Status.SKIP, f"cannot examine the environment: {exc}")
        return
    if target.version_of("torch") is None:
        yield Diagnostic(Status.PASS, "torch is not installed: nothing builds with ninja")
        return
    found = shutil.which("ninja", path=effective_env(ctx).get("PATH", ""))
    if found:
        yield Diagnostic(Status.PASS, f"ninja is on PATH ({found})")
        return
    own = os.path.join(target.paths.get("scripts", ""), "ninja")
    why = f"{own} is installed but not on PATH" if os.path.isfile(own) else "ninja is not installed"
    yield Diagnostic(
        Status.FAIL,
        f"{why}; torch's cpp_extension will not find it",
        {"ninja": own if os.path.isfile(own) else None},
        (_fix(ctx),),
        key="ninja",
    )


def fix_from_log(ctx: Context, facts: Mapping[str, Any], settings: Any) -> Fix | None:
    try:
        return _fix(ctx)
    except TargetError:
        return None


RULE = Rule(
    code="DD509",
    name="ninja-missing",
    summary="torch's cpp_extension needs ninja, which is absent or not on PATH",
    scope=Scope.ENVIRONMENT,
    node=True,
    check=check,
    fix_availability=FixAvailability.ALWAYS,
    signatures=(
        Signature(
            "Ninja is required",
            r"Ninja is required to load C\+\+ extensions",
            "torch's cpp_extension found no ninja",
        ),
    ),
    fix_from_log=fix_from_log,
)
