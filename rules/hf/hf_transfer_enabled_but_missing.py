"""`HF_HUB_ENABLE_HF_TRANSFER=1` without `hf_transfer` installed, or with a huggingface_hub
that ignores it.

## What it does

Reads `HF_HUB_ENABLE_HF_TRANSFER` in the examined environment (with what devdoctor persisted)
and the versions of huggingface_hub and hf_transfer installed there. Before huggingface_hub 1.0
the variable without the package makes every download raise; from 1.0 on it is ignored (Xet
replaced it: `HF_XET_HIGH_PERFORMANCE`).

## Why is this bad?

`ValueError: Fast download using 'hf_transfer' is enabled (HF_HUB_ENABLE_HF_TRANSFER=1) but
'hf_transfer' package is not available in your environment.` — often from a base image
(RunPod, TEI, vLLM) that exports it. With huggingface_hub 1.x it silently does nothing.

## Example

```
$ devdoctor check hf-transfer-enabled-but-missing
  ✗ DD206 hf-transfer-enabled-but-missing: HF_HUB_ENABLE_HF_TRANSFER=1, and hf_transfer is not
    installed: every download with huggingface_hub 0.26.0 raises
```

## Fix

Unset `HF_HUB_ENABLE_HF_TRANSFER` for the environment (a new process must not see it);
alternative for huggingface_hub < 1.0: install hf_transfer.

## Fix safety

Unsetting is safe (undo removes it); installing is unsafe (undo uninstalls it).
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

VAR = "HF_HUB_ENABLE_HF_TRANSFER"


def _fixes(ctx: Context, hub_major: int) -> tuple[Fix, ...]:
    def verify(env: Mapping[str, str]) -> str | None:
        script = f"import os, sys\nsys.exit('{VAR} is still set' if os.environ.get({VAR!r}) else 0)"
        return run_script(sys.executable, script, (), env, 30.0)

    unset = Fix(
        f"Unset {VAR} for this environment",
        Applicability.SAFE,
        env=(EnvChange(VAR, "", EnvOp.UNSET),),
        verify=verify,
    )
    if hub_major >= 1:
        return (unset,)
    python = ctx.location.python or "python3"
    return unset, Fix(
        "Install hf_transfer", Applicability.UNSAFE, (PackageAdd(python, "hf_transfer"),)
    )


def check(ctx: Context, settings: Any) -> Iterator[Diagnostic]:
    value = effective_env(ctx).get(VAR, "")
    if value.upper() not in ("1", "ON", "YES", "TRUE"):
        yield Diagnostic(Status.PASS, f"{VAR} is not set")
        return
    try:
        target = ctx.target()
    except TargetError as exc:
        yield Diagnostic(Status.SKIP, f"cannot examine the environment: {exc}")
        return
    hub = target.version_of("huggingface_hub")
    if hub is None:
        yield Diagnostic(Status.PASS, "huggingface_hub is not installed")
        return
    major = int(hub.split(".")[0]) if hub.split(".")[0].isdigit() else 0
    facts = {"huggingface_hub": hub, "hf_transfer": target.version_of("hf_transfer")}
    if major >= 1:
        yield Diagnostic(
            Status.WARN,
            f"{VAR}={value} does nothing with huggingface_hub {hub} "
            "(Xet replaced hf_transfer: HF_XET_HIGH_PERFORMANCE=1)",
            facts,
            _fixes(ctx, major),
            key=VAR,
        )
    elif facts["hf_transfer"] is None:
        yield Diagnostic(
            Status.FAIL,
            f"{VAR}={value}, and hf_transfer is not installed: every "
            f"download with huggingface_hub {hub} raises",
            facts,
            _fixes(ctx, major),
            key=VAR,
        )
    else:
        yield Diagnostic(Status.PASS, f"hf_transfer {facts['hf_transfer']} is installed", facts)


def fix_from_log(ctx: Context, facts: Mapping[str, Any], settings: Any) -> Fix | None:
    try:
        hub = ctx.target().version_of("huggingface_hub") or "0"
    except TargetError:
        return None
    return _fixes(ctx, int(hub.split(".")[0]) if hub.split(".")[0].isdigit() else 0)[0]


RULE = Rule(
    code="DD206",
    name="hf-transfer-enabled-but-missing",
    summary="HF_HUB_ENABLE_HF_TRANSFER=1 without hf_transfer, or where it is ignored",
    scope=Scope.ENVIRONMENT,
    node=True,
    check=check,
    fix_availability=FixAvailability.ALWAYS,
    signatures=(
        Signature(
            ("Fast download using", "package is not available in your environment"),
            r"Fast download using .hf_transfer. is enabled|(?<=hf_transfer' )package is not "
            r"available in your environment",
            "HF_HUB_ENABLE_HF_TRANSFER is set and hf_transfer is not installed",
        ),
        Signature(
            VAR,
            rf"{VAR}. environment variable is deprecated",
            f"{VAR} is ignored by this huggingface_hub",
        ),
    ),
    fix_from_log=fix_from_log,
)
