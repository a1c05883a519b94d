"""An out-of-memory error where the memory was there, only cut into pieces (fragmentation), as
opposed to a genuine out-of-memory.

## What it does

Reads PyTorch's out-of-memory message (both wordings: "Tried to allocate 20.00 MiB. GPU 0 has a
total capacity of 4.00 GiB of which 2.35 GiB is free ... 24.85 MiB is reserved by PyTorch but
unallocated" and the older "(GPU 0; 4.00 GiB total capacity; 1.20 GiB already allocated; 2.35
GiB free; 1.60 GiB reserved in total by PyTorch)") and weighs its figures: when the GPU had more
free memory than was asked for, or PyTorch held more reserved-but-unallocated memory than the
request, the allocation failed for want of one piece large enough. A genuine out-of-memory
(nothing left) matches nothing. The check itself says whether the allocator is already set up.

## Why is this bad?

Lowering the batch size, the usual answer, throws away capacity that is there. PyTorch's
expandable segments let the allocator grow blocks instead of needing a new large one.

## Example

```
$ devdoctor diagnose train.log
✗ DD407 cuda-oom-fragmentation: out of memory asking for 20.00 MiB with 2.35 GiB free: the
    memory is fragmented
    fix (safe): Set PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True
```

## Fix

Persist `PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True` for the environment (kept beside
other settings already in the variable); a new process of the environment's interpreter must see
it.

## Fix safety

Safe: one variable, `devdoctor undo` removes it.
"""

from __future__ import annotations

import re
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
    effective_env,
    run_script,
)

VAR = "PYTORCH_CUDA_ALLOC_CONF"
SETTING = "expandable_segments:True"
UNITS = {"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}
AMOUNT = r"\d{1,7}(?:\.\d{1,3})? (?:B|KiB|MiB|GiB|TiB)"


def _bytes(text: str) -> float:
    number, _, unit = text.partition(" ")
    return float(number) * UNITS.get(unit, 1)


def fragmented(facts: Mapping[str, str]) -> bool:
    """More free memory than asked for, or more held but unused by PyTorch than asked for."""
    asked = _bytes(facts.get("asked", "0 B"))
    free = _bytes(facts.get("free", "0 B"))
    held = _bytes(facts.get("unallocated", "0 B"))
    if "reserved" in facts and "allocated" in facts:  # the older wording
        held = _bytes(facts["reserved"]) - _bytes(facts["allocated"])
    return asked > 0 and (free >= asked or held >= asked)


def _fix(ctx: Context) -> Fix | None:
    current = effective_env(ctx).get(VAR, "")
    if SETTING.partition(":")[0] in current:
        return None
    value = f"{current},{SETTING}" if current else SETTING
    python = ctx.location.python or "python3"

    def verify(env: Mapping[str, str]) -> str | None:
        script = (
            f"import os, sys\nsys.exit(0 if {SETTING!r} in os.environ.get({VAR!r}, '') else "
            f"'a new process does not see {VAR}={value}')"
        )
        return run_script(python, script, (), env, 30.0)

    return Fix(
        f"Set {VAR}={value}", Applicability.SAFE, env=(EnvChange(VAR, value),), verify=verify
    )


def check(ctx: Context, settings: Any) -> Iterator[Diagnostic]:
    current = effective_env(ctx).get(VAR, "")
    if re.search(r"expandable_segments\s*:\s*True", current):
        yield Diagnostic(Status.PASS, f"{VAR} already enables expandable segments")
    else:
        yield Diagnostic(
            Status.PASS,
            "fragmentation shows in an out-of-memory message: `devdoctor diagnose` weighs its "
            "figures",
        )


def fix_from_log(ctx: Context, facts: Mapping[str, Any], settings: Any) -> Fix | None:
    return _fix(ctx)


RULE = Rule(
    code="DD407",
    name="cuda-oom-fragmentation",
    summary="An out-of-memory error where the free memory is only fragmented",
    scope=Scope.ENVIRONMENT,
    check=check,
    fix_availability=FixAvailability.SOMETIMES,  # from a log's figures
    signatures=(
        Signature(
            "Tried to allocate",
            rf"Tried to allocate (?P<asked>{AMOUNT})\. {{0,2}}GPU \d{{1,3}} has a total "
            rf"capacity of {AMOUNT} of which (?P<free>{AMOUNT}) is free\."
            rf"(?:.{{0,400}}?and (?P<unallocated>{AMOUNT}) is reserved by PyTorch "
            r"but unallocated)?",
            "out of memory asking for {asked} with {free} free: the memory is fragmented",
            accept=fragmented,
        ),
        Signature(
            "Tried to allocate",
            rf"Tried to allocate (?P<asked>{AMOUNT}) \(GPU \d{{1,3}}; {AMOUNT} total capacity; "
            rf"(?P<allocated>{AMOUNT}) already allocated; (?P<free>{AMOUNT}) free; "
            rf"(?P<reserved>{AMOUNT}) reserved in total by PyTorch\)",
            "out of memory asking for {asked} with {free} free: the memory is fragmented",
            accept=fragmented,
        ),
    ),
    fix_from_log=fix_from_log,
)
