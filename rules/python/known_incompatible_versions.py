"""A known-bad combination of installed versions that no package's metadata expresses.

## What it does

Evaluates each entry of `known_incompatible.toml` (in this folder: data, each with its public
source, the ranges that break together, the symptom's log signature and the pin that mends it)
against the examined environment's installed versions, with `packaging`. Ships with entries for
`cached_download` removed from huggingface_hub 0.26 (old diffusers, sentence-transformers),
datasets < 2.14.6 with fsspec ≥ 2023.10, transformers' Trainer without accelerate, torch 2.4.0
with numpy 2.1.0, transformers 4 with huggingface_hub 1.

## Why is this bad?

`pip check` is satisfied, and the import fails: `ImportError: cannot import name
'cached_download' from 'huggingface_hub'`, `NotImplementedError: Loading a dataset cached in a
LocalFileSystem is not supported.`

## Example

```
$ devdoctor check known-incompatible-versions
  ✗ DD502 known-incompatible-versions: huggingface_hub 0.26 removed cached_download, which
    diffusers before 0.26 imports (huggingface-hub 0.26.0, diffusers 0.25.0)
```

## Fix

The entry's pin (`diffusers>=0.26`), installed from the package index; then `pip check` runs clean
in a new process of the environment's interpreter.

## Fix safety

Unsafe: it changes installed packages; `devdoctor undo` reinstalls the previous version.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from devdoctor.api import (
    Applicability,
    Context,
    Diagnostic,
    Fix,
    FixAvailability,
    PackageAdd,
    PackageEdit,
    Rule,
    Scope,
    Signature,
    Status,
    TargetError,
    run_script,
)

from ._metadata import by_installed

TABLE_TEXT = (Path(__file__).parent / "known_incompatible.toml").read_text()
TABLE = tomllib.loads(TABLE_TEXT)["entry"]


def _matches(ctx: Context, entry: dict[str, Any]) -> dict[str, str | None] | None:
    """The versions that make the entry apply here, or None."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import InvalidVersion

    target = ctx.target()
    found: dict[str, str | None] = {}
    for name, ranges in entry["when"].items():
        version = target.version_of(name)
        ok = False
        for part in str(ranges).split("|"):
            if part == "missing":
                ok = ok or version is None
                continue
            if version is None:
                continue
            try:
                ok = ok or SpecifierSet(part).contains(version, prereleases=True)
            except (InvalidSpecifier, InvalidVersion):
                continue
        if not ok:
            return None
        found[name] = version
    return found


def _fix(ctx: Context, entry: dict[str, Any]) -> Fix:
    name, wanted = entry["fix"]["package"], entry["fix"]["range"]
    python = ctx.location.python or "python3"
    now = ctx.target().version_of(name)
    edit = (
        PackageEdit(python, name, now, None, spec=wanted)
        if now
        else PackageAdd(python, name, wanted)
    )

    def verify(env: Mapping[str, str]) -> str | None:
        script = (
            "import importlib.metadata as m, sys\nfrom packaging.specifiers import SpecifierSet\n"
            f"v = m.version({name!r})\nsys.exit(0 if SpecifierSet({wanted!r}).contains(v) "
            f"else f'{name} {{v}} is not {wanted}')"
        )
        return run_script(python, script, (), env, 60.0)

    return Fix(
        f"Install {name}{wanted} ({entry['summary']})", Applicability.UNSAFE, (edit,), verify=verify
    )


def check(ctx: Context, settings: Any) -> Iterator[Diagnostic]:
    try:
        matched = by_installed(
            ctx,
            "known-incompatible",
            lambda: {e["id"]: _matches(ctx, e) for e in TABLE},
            salt=TABLE_TEXT,  # an edited table is a new answer
        )
    except TargetError as exc:
        yield Diagnostic(Status.SKIP, f"cannot examine the environment: {exc}")
        return
    found = 0
    for entry in TABLE:
        versions = matched.get(entry["id"])
        if versions is None:
            continue
        found += 1
        said = ", ".join(f"{n} {v or 'missing'}" for n, v in versions.items())
        yield Diagnostic(
            Status.FAIL,
            f"{entry['summary']} ({said})",
            {"entry": entry["id"], "versions": versions, "source": entry["source"]},
            (_fix(ctx, entry),),
            key=entry["id"],
        )
    if not found:
        yield Diagnostic(Status.PASS, f"none of the {len(TABLE)} known-bad combinations is here")


def fix_from_log(ctx: Context, facts: Mapping[str, Any], settings: Any) -> Fix | None:
    for entry in TABLE:
        try:
            if _matches(ctx, entry) is not None:
                return _fix(ctx, entry)
        except TargetError:
            return None
    return None


def _signatures() -> tuple[Signature, ...]:
    """One signature per symptom; entries that share one (cached_download) share it."""
    seen: dict[str, Signature] = {}
    for entry in TABLE:
        if "signature" in entry and entry["signature"] not in seen:
            seen[entry["signature"]] = Signature(
                entry["hint"],
                entry["signature"],
                f"a known-bad combination of versions: {entry['summary']}",
            )
    return tuple(seen.values())


RULE = Rule(
    code="DD502",
    name="known-incompatible-versions",
    summary="A known-bad combination of installed versions that metadata does not express",
    scope=Scope.ENVIRONMENT,
    node=True,
    check=check,
    fix_availability=FixAvailability.ALWAYS,
    signatures=_signatures(),
    fix_from_log=fix_from_log,
)
