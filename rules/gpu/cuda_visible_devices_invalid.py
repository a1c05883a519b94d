"""`CUDA_VISIBLE_DEVICES` names GPUs that do not exist, or hides them all.

## What it does

Reads `CUDA_VISIBLE_DEVICES` in the examined environment and compares each entry with the GPUs
the driver reports (device count from libcuda in a child process, else the GPUs under
`/proc/driver/nvidia/gpus`, their UUIDs included). CUDA stops at the first entry that does not
exist: `0,4,1` on a 2-GPU machine shows only GPU 0. An index past the last GPU, an unknown UUID
or a negative index fails; an empty value hides every GPU and warns.

## Why is this bad?

`RuntimeError: No CUDA GPUs are available`, or fewer GPUs than expected, with nothing pointing
at the variable — often exported by a script copied from an 8-GPU machine.

## Example

```
$ devdoctor check cuda-visible-devices-invalid
  ✗ DD406 cuda-visible-devices-invalid: CUDA_VISIBLE_DEVICES=4,5 names GPU 4, and this machine
    has 2 (0-1): CUDA sees none
```

## Fix

Display-only: the corrected `export` line (the entries that exist, in order), or `unset
CUDA_VISIBLE_DEVICES`; no program can change its parent shell's environment.

## Fix safety

Display-only.
"""

from __future__ import annotations

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
    effective_env,
)

from ._common import NO_GPU
from ._nvidia import Nvidia, nvidia

VAR = "CUDA_VISIBLE_DEVICES"


def visible(value: str, gpu: Nvidia) -> tuple[list[str], list[str]]:
    """(entries that name a GPU here, entries that do not), in CUDA's order: from the first bad
    entry on, CUDA ignores the rest."""
    count = len(gpu.devices) or len(gpu.gpus) or len(gpu.nodes)
    uuids = [g.uuid for g in gpu.gpus if g.uuid]
    good: list[str] = []
    bad: list[str] = []
    for entry in (e.strip() for e in value.split(",")):
        if entry.lstrip("-").isdigit():
            ok = 0 <= int(entry) < count
        else:
            ok = bool(entry) and any(u.startswith(entry) for u in uuids)
        (good if ok and not bad else bad).append(entry)
    return good, bad


def _fix(good: list[str]) -> Fix:
    command = f"export {VAR}={shlex.quote(','.join(good))}" if good else f"unset {VAR}"
    return Fix(
        "Name the GPUs that exist", Applicability.DISPLAY_ONLY, instructions=f"run: {command}"
    )


def check(ctx: Context, settings: Any) -> Iterator[Diagnostic]:
    value = effective_env(ctx).get(VAR)
    if value is None:
        yield Diagnostic(Status.PASS, f"{VAR} is not set: every GPU is visible")
        return
    gpu = nvidia(ctx)
    if not gpu.present:
        yield Diagnostic(Status.PASS, NO_GPU)
        return
    count = len(gpu.devices) or len(gpu.gpus) or len(gpu.nodes)
    facts: dict[str, Any] = {"value": value, "gpus": count}
    if value.strip() in ("", "-1"):
        yield Diagnostic(
            Status.WARN, f"{VAR}={value!r} hides every GPU", facts, (_fix([]),), key=VAR
        )
        return
    good, bad = visible(value, gpu)
    if not bad:
        yield Diagnostic(Status.PASS, f"{VAR}={value} names GPUs that exist", facts)
        return
    facts["missing"] = bad
    names = f"{count} (0-{count - 1})" if count else "none"
    yield Diagnostic(
        Status.FAIL,
        f"{VAR}={value} names GPU {bad[0]}, and this machine has {names}: CUDA sees "
        + (", ".join(good) if good else "none"),
        facts,
        (_fix(good),),
        key=VAR,
    )


def fix_from_log(ctx: Context, facts: Mapping[str, Any], settings: Any) -> Fix | None:
    value = effective_env(ctx).get(VAR)
    if value is None:
        return None
    return _fix(visible(value, nvidia(ctx))[0])


RULE = Rule(
    code="DD406",
    name="cuda-visible-devices-invalid",
    summary="CUDA_VISIBLE_DEVICES names GPUs that do not exist",
    scope=Scope.ENVIRONMENT,
    node=True,
    check=check,
    fix_availability=FixAvailability.NEVER,
    signatures=(
        Signature(
            "No CUDA GPUs are available",
            r"No CUDA GPUs are available",
            "CUDA sees no GPU",
            certain=False,
            to_tell="Is CUDA_VISIBLE_DEVICES set to GPUs this machine does not have (echo "
            "$CUDA_VISIBLE_DEVICES), or is the driver not reachable here? devdoctor check DD4 "
            "looks at both",
        ),
    ),
    fix_from_log=fix_from_log,
)
