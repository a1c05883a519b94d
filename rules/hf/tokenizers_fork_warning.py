"""tokenizers used before a fork: the warning in every DataLoader worker and parallelism
turned off.

## What it does

When the examined environment has `tokenizers`, says whether `TOKENIZERS_PARALLELISM` is set
for it (with what devdoctor persisted) and whether its value is one tokenizers reads. Whether a
process tokenizes before forking shows only in its output: `devdoctor diagnose` recognises the
warning.

## Why is this bad?

`huggingface/tokenizers: The current process just got forked, after parallelism has already been
used. Disabling parallelism to avoid deadlocks...`, once per worker, and the tokenizer runs on
one thread from then on.

## Example

```
$ devdoctor diagnose train.log
✗ DD208 tokenizers-fork-warning: tokenizers was used before a fork (DataLoader workers)
    fix (safe): Set TOKENIZERS_PARALLELISM=false for this environment
```

## Fix

Persist `TOKENIZERS_PARALLELISM=false` for the environment (the value tokenizers recommends
when workers tokenize); a new process must see it.

## Fix safety

Safe: one variable, `devdoctor undo` removes it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from typing import Any

from devdoctor.api import (
    Applicability,
    Context,
    Diagnostic,
    EnvChange,
    Fix,
    FixAvailability,
    Rule,
    Scope,
    Signature,
    Status,
    TargetError,
    effective_env,
    run_script,
)

VAR = "TOKENIZERS_PARALLELISM"
READ = ("true", "false", "1", "0", "on", "off", "yes", "no")


def _fix() -> Fix:
    def verify(env: Mapping[str, str]) -> str | None:
        script = f"import os, sys\nsys.exit(0 if os.environ.get({VAR!r}) == 'false' else 'not set')"
        return run_script(sys.executable, script, (), env, 30.0)

    return Fix(
        f"Set {VAR}=false for this environment",
        Applicability.SAFE,
        env=(EnvChange(VAR, "false"),),
        verify=verify,
    )


def check(ctx: Context, settings: Any) -> Iterator[Diagnostic]:
    try:
        installed = ctx.target().version_of("tokenizers")
    except TargetError as exc:
        yield Diagnostic(Status.SKIP, f"cannot examine the environment: {exc}")
        return
    value = effective_env(ctx).get(VAR)
    if installed is None:
        yield Diagnostic(Status.PASS, "tokenizers is not installed")
    elif value is None:
        yield Diagnostic(
            Status.PASS,
            f"{VAR} is not set: a fork after tokenizing prints the "
            "warning (devdoctor diagnose recognises it)",
        )
    elif value.lower() not in READ:
        yield Diagnostic(
            Status.WARN, f"{VAR}={value!r} is not a value tokenizers reads", {}, (_fix(),), key=VAR
        )
    else:
        yield Diagnostic(Status.PASS, f"{VAR}={value}")


def fix_from_log(ctx: Context, facts: Mapping[str, Any], settings: Any) -> Fix | None:
    return _fix()


RULE = Rule(
    code="DD208",
    name="tokenizers-fork-warning",
    summary="tokenizers used before a fork: the per-worker warning and lost parallelism",
    scope=Scope.ENVIRONMENT,
    check=check,
    fix_availability=FixAvailability.SOMETIMES,
    signatures=(
        Signature(
            ("The current process just got forked", VAR),
            r"The current process just got forked, after parallelism has already been used|"
            rf"{VAR}=\(true \| false\)",
            "tokenizers was used before a fork (DataLoader workers)",
        ),
    ),
    fix_from_log=fix_from_log,
)
