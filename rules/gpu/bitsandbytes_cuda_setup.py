"""bitsandbytes cannot find its CUDA library: a `BNB_CUDA_VERSION` naming a build it does not
ship, or a release old enough to search for `libcudart` itself.

## What it does

When bitsandbytes is installed in the examined environment: a `BNB_CUDA_VERSION` must name a
`libbitsandbytes_cuda<NNN>.so` that the installed package ships (its folder is listed); releases
before 0.43 (which found the CUDA runtime by searching the system, and fail on pip-only CUDA) on a
machine with an NVIDIA GPU warn.

## Why is this bad?

`CUDA Setup failed despite GPU being available`, or `BNB_CUDA_VERSION=124 environment variable
detected; loading libbitsandbytes_cuda124.so` followed by a failure to load it: the variable
survives from another setup or a tutorial.

## Example

```
$ devdoctor check bitsandbytes-cuda-setup
  ✗ DD408 bitsandbytes-cuda-setup: BNB_CUDA_VERSION=124 asks for libbitsandbytes_cuda124.so,
    which bitsandbytes 0.45.0 does not ship (it has cuda118, cuda121, cuda126)
```

## Fix

Unset `BNB_CUDA_VERSION` for the environment (persisted with `--target`), proven by a new
process of the environment's interpreter not seeing it. For an old release: install the newest
bitsandbytes (unsafe; undo reinstalls the old one).

## Fix safety

Unsetting the variable is safe and undone by `devdoctor undo`; the upgrade is unsafe.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from devdoctor.api import (
    Applicability,
    Context,
    Diagnostic,
    EnvChange,
    EnvOp,
    Fix,
    FixAvailability,
    PackageEdit,
    Rule,
    Scope,
    Signature,
    Status,
    TargetError,
    effective_env,
    run_script,
)

from ._nvidia import nvidia

VAR = "BNB_CUDA_VERSION"


def shipped(ctx: Context) -> list[str]:
    """The CUDA builds the installed bitsandbytes ships: ["118", "121", ...]."""
    builds = []
    for site in ctx.target().site_packages:
        for lib in Path(site, "bitsandbytes").glob("libbitsandbytes_cuda*.so"):
            found = re.match(r"libbitsandbytes_cuda(\d+)", lib.name)
            if found:
                builds.append(found.group(1))
    return sorted(set(builds))


def _unset(ctx: Context) -> Fix:
    python = ctx.location.python or "python3"

    def verify(env: Mapping[str, str]) -> str | None:
        script = (
            f"import os, sys\nsys.exit('a new process still has {VAR}' if {VAR!r} in os.environ "
            "else 0)"
        )
        return run_script(python, script, (), env, 30.0)

    return Fix(
        f"Unset {VAR}", Applicability.SAFE, env=(EnvChange(VAR, "", EnvOp.UNSET),), verify=verify
    )


def check(ctx: Context, settings: Any) -> Iterator[Diagnostic]:
    try:
        version = ctx.target().version_of("bitsandbytes")
        builds = shipped(ctx) if version else []
    except TargetError as exc:
        yield Diagnostic(Status.SKIP, f"cannot examine the environment: {exc}")
        return
    if version is None:
        yield Diagnostic(Status.PASS, "bitsandbytes is not installed")
        return
    wanted = effective_env(ctx).get(VAR)
    facts: dict[str, Any] = {"bitsandbytes": version, "builds": builds, VAR: wanted}
    if wanted is not None and wanted not in builds:
        have = ", ".join(f"cuda{b}" for b in builds) or "no CUDA build"
        yield Diagnostic(
            Status.FAIL,
            f"{VAR}={wanted} asks for libbitsandbytes_cuda{wanted}.so, which bitsandbytes "
            f"{version} does not ship (it has {have})",
            facts,
            (_unset(ctx),),
            key=VAR,
        )
        return
    old = tuple(int(p) for p in re.findall(r"\d+", version)[:2]) < (0, 43)
    if old and nvidia(ctx).present:
        python = ctx.location.python or "python3"
        upgrade = PackageEdit(python, "bitsandbytes", version, None)
        yield Diagnostic(
            Status.WARN,
            f"bitsandbytes {version} finds the CUDA runtime by searching the system (fails with "
            "pip-only CUDA); 0.43 and newer ship their own builds",
            facts,
            (Fix("Install the newest bitsandbytes", Applicability.UNSAFE, (upgrade,)),),
            key="old",
        )
        return
    yield Diagnostic(Status.PASS, f"bitsandbytes {version} finds its CUDA build", facts)


def fix_from_log(ctx: Context, facts: Mapping[str, Any], settings: Any) -> Fix | None:
    return _unset(ctx) if VAR in effective_env(ctx) else None


RULE = Rule(
    code="DD408",
    name="bitsandbytes-cuda-setup",
    summary="bitsandbytes cannot find its CUDA library",
    scope=Scope.ENVIRONMENT,
    node=True,
    check=check,
    fix_availability=FixAvailability.SOMETIMES,
    signatures=(
        Signature(
            "CUDA Setup failed despite GPU being available",
            r"CUDA Setup failed despite GPU being available",
            "bitsandbytes could not load its CUDA library",
        ),
        Signature(
            VAR,
            rf"{VAR}=(?P<version>\d{{2,4}}) environment variable detected",
            "BNB_CUDA_VERSION={version} makes bitsandbytes load another CUDA build",
        ),
    ),
    fix_from_log=fix_from_log,
)
