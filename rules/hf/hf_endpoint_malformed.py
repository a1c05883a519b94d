"""`HF_ENDPOINT` is set to something huggingface_hub cannot use as a URL.

## What it does

Reads `HF_ENDPOINT` in the current environment (and notices a variable named `HF_ENDPOINT ` with
a trailing space, as `set HF_ENDPOINT = value` creates on Windows) and checks that the value is a
plain `http(s)://host[:port][/path]`: no surrounding whitespace or quotes, no full-width
characters (a full-width colon, U+FF1A, typed with a Chinese input method), a scheme, nothing after
the URL. A trailing `/` is fine for huggingface_hub >= 0.29 (it strips it) and is normalised.

## Why is this bad?

huggingface_hub builds every URL from the value as it is: a quote, a space or a full-width colon
makes every download fail with a confusing `UnsupportedProtocol`, `InvalidURL` or connection
error, and DD201 cannot probe an endpoint it cannot parse.

## Example

```
$ export HF_ENDPOINT='"https://hf-mirror.com/"'
$ devdoctor check hf-endpoint-malformed
  ✗ DD202 hf-endpoint-malformed: HF_ENDPOINT='"https://hf-mirror.com/"' is malformed: quotes in
    the value; a trailing /
```

## Fix

Persist the corrected value (quotes, whitespace and junk removed, full-width characters turned
into ASCII, `https://` added when the scheme is missing) through the same environment targets as
DD201 (`--target auto|conda|venv|shell|print`). The shell that set the bad value still has it:
re-activate the environment or open a new shell.

## Fix safety

Safe: devdoctor's marked blocks only, undone byte for byte by `devdoctor undo`.
"""

from __future__ import annotations

from collections.abc import Iterator

from devdoctor.api import (
    Applicability,
    Context,
    Diagnostic,
    EnvChange,
    Fix,
    FixAvailability,
    Rule,
    Scope,
    Status,
)

from . import _hub as hfhub


def _set(value: str, title: str) -> Fix:
    """Set the corrected URL, when one can be named with confidence; else explain."""
    fixed = hfhub.corrected(value)
    if fixed is None:
        return Fix(
            "Set HF_ENDPOINT to the hub's URL",
            Applicability.DISPLAY_ONLY,
            instructions="devdoctor cannot tell which URL was meant: set HF_ENDPOINT to the "
            "full URL of the hub or mirror, e.g. export HF_ENDPOINT=https://hf-mirror.com",
        )
    return Fix(
        title.format(fixed=fixed), Applicability.SAFE, env=(EnvChange("HF_ENDPOINT", fixed),)
    )


def check(ctx: Context, settings: None) -> Iterator[Diagnostic]:
    spaced = [name for name in ctx.env if name != "HF_ENDPOINT" and name.strip() == "HF_ENDPOINT"]
    for name in spaced:
        yield Diagnostic(
            Status.FAIL,
            f"a variable named {name!r} (with a space) is set: "
            "huggingface_hub only reads 'HF_ENDPOINT'",
            {"name": name, "value": ctx.env[name]},
            (_set(ctx.env[name], "Set HF_ENDPOINT without the space"),),
            key=name,
        )
    value = ctx.env.get("HF_ENDPOINT")
    if value is None:
        if not spaced:
            yield Diagnostic(Status.PASS, "HF_ENDPOINT is not set")
        return
    found = hfhub.problems(value)
    if not found:
        yield Diagnostic(Status.PASS, f"HF_ENDPOINT={value} is a well-formed URL", {"value": value})
        return
    yield Diagnostic(
        Status.FAIL,
        f"HF_ENDPOINT={value!r} is malformed: {'; '.join(found)}",
        {"value": value, "problems": found, "corrected": hfhub.corrected(value)},
        (_set(value, "Set HF_ENDPOINT={fixed}"),),
        key="value",
    )


RULE = Rule(
    code="DD202",
    name="hf-endpoint-malformed",
    summary="HF_ENDPOINT is not a usable URL",
    scope=Scope.ENVIRONMENT,
    node=True,
    check=check,
    fix_availability=FixAvailability.SOMETIMES,
)
