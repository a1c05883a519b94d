"""The examined environment's huggingface_hub ignores `HF_ENDPOINT` on some paths.

## What it does

Reads the huggingface_hub version installed in the examined environment and, when an endpoint is
in use (`HF_ENDPOINT` in the environment, or persisted by devdoctor), compares it with the
releases that fixed the paths that bypassed it:

- 0.22.2: large-file (LFS) uploads finished the multipart upload on huggingface.co;
- 0.29.0: a trailing `/` in HF_ENDPOINT was kept (URLs with `//`) and an endpoint with a path
  lost it when URLs were joined;
- 0.34.0: the Xet token refresh route was hard-coded to huggingface.co.

## Why is this bad?

With a mirror configured, downloads seem to work while some requests still go to
huggingface.co, and fail or hang from the networks the mirror was meant to get around.

## Example

```
$ devdoctor check hf-hub-outdated
  ✗ DD203 hf-hub-outdated: huggingface_hub 0.21.4 ignores HF_ENDPOINT on some paths: LFS uploads
    bypass HF_ENDPOINT; a trailing / or an endpoint path breaks URLs; the Xet token refresh goes
    to huggingface.co
```

## Fix

The exact command for the examined interpreter, installing the smallest release that honours
`HF_ENDPOINT` everywhere (no major-version jump that the rest of the stack may not take):
`<python> -m pip install huggingface_hub==0.34.0`.

## Fix safety

Unsafe: it changes installed packages. It runs only with `--unsafe-fixes` (or the rule named) and
a confirmation, and `devdoctor undo` reinstalls the version that was there.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator

from devdoctor.api import (
    Applicability,
    Context,
    Diagnostic,
    Fix,
    FixAvailability,
    PackageEdit,
    Rule,
    Scope,
    Status,
    TargetError,
    persisted_env,
)

# The release that fixed each way of bypassing HF_ENDPOINT, oldest first.
WHY = {
    "0.22.2": "LFS uploads bypass HF_ENDPOINT",
    "0.29.0": "a trailing / or an endpoint path breaks URLs",
    "0.34.0": "the Xet token refresh goes to huggingface.co",
}
NEEDS = list(WHY)[-1]


def _endpoint_in_use(ctx: Context) -> bool:
    if ctx.env.get("HF_ENDPOINT"):
        return True
    return any(c.name == "HF_ENDPOINT" for held in persisted_env(ctx) for c in held.changes)


def check(ctx: Context, settings: None) -> Iterator[Diagnostic]:
    try:
        facts = ctx.target()
    except TargetError as exc:
        yield Diagnostic(Status.SKIP, f"cannot examine the target interpreter: {exc}")
        return
    version = facts.version_of("huggingface_hub")
    if version is None:
        yield Diagnostic(
            Status.PASS, "huggingface_hub is not installed in the examined environment"
        )
        return
    from packaging.version import InvalidVersion, Version

    try:
        installed = Version(version)
    except InvalidVersion:
        yield Diagnostic(Status.SKIP, f"huggingface_hub {version!r} is not a version I can compare")
        return
    missing = [why for fixed, why in WHY.items() if installed < Version(fixed)]
    info = {"version": version, "needs": str(NEEDS), "bypasses": missing}
    if not missing:
        yield Diagnostic(Status.PASS, f"huggingface_hub {version} honours HF_ENDPOINT", info)
        return
    if not _endpoint_in_use(ctx):
        yield Diagnostic(
            Status.PASS, f"huggingface_hub {version} is old, but HF_ENDPOINT is not in use", info
        )
        return
    python = ctx.location.python or "python3"
    # The smallest release that honours HF_ENDPOINT everywhere: named, and no major-version jump
    # (a newer huggingface_hub may need newer transformers/datasets too).
    edit = PackageEdit(python, "huggingface_hub", version, NEEDS)
    fix = Fix(
        f"Upgrade huggingface_hub {version} -> {NEEDS}: {shlex.join(edit.command())}",
        Applicability.UNSAFE,
        (edit,),
    )
    yield Diagnostic(
        Status.FAIL,
        f"huggingface_hub {version} ignores HF_ENDPOINT on some paths: {'; '.join(missing)}",
        info,
        (fix,),
        key="version",
    )


RULE = Rule(
    code="DD203",
    name="hf-hub-outdated",
    summary="huggingface_hub is too old to honour HF_ENDPOINT everywhere",
    scope=Scope.ENVIRONMENT,
    node=True,
    check=check,
    fix_availability=FixAvailability.ALWAYS,
)
