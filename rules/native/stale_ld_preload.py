"""An `LD_PRELOAD` entry that names a file which no longer exists.

## What it does

Reads `LD_PRELOAD` in the current environment and in every place devdoctor persisted it (the
examined venv's activate scripts, a conda env's `etc/conda/activate.d`, the devdoctor block of
your shell rc file, and any file the fix journal says devdoctor wrote), and in the lines written
by hand into the examined environment's activation scripts (named by file and line). Each entry
that is a path (it contains `/`) must exist. Bare names are searched by the loader and are not
checked.

## Why is this bad?

glibc prints `ERROR: ld.so: object '/path/libgomp.so.1' from LD_PRELOAD cannot be preloaded
(cannot open shared object file): ignored.` in every process that starts, and the library the
preload was meant to provide is missing again. It goes stale silently: wheels rename their
vendored libraries (`libgomp-d22c30c5.so.1.0.0` becomes another hash on the next release of
scikit-learn), and a preload that DD101 (static-tls) once set then points at nothing.

## Example

```
$ python -c pass
ERROR: ld.so: object '/venv/lib/.../libgomp-d22c30c5.so.1.0.0' from LD_PRELOAD cannot be
preloaded (cannot open shared object file): ignored.
$ devdoctor check stale-ld-preload
  ✗ DD102 stale-ld-preload: LD_PRELOAD persisted in /venv/bin/activate names
    /venv/lib/.../libgomp-d22c30c5.so.1.0.0, which does not exist
```

## Fix

Where devdoctor persisted the variable: remove the missing entry (and the variable, if nothing is
left), keeping every other entry. For the live shell: the corrected `export` line to run, since
no program can change its parent shell's environment.

## Fix safety

Safe for persisted places: only devdoctor's own block changes, the file must be as it was when
checked, and `devdoctor undo` restores it byte for byte. Display-only for the live shell.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Iterator
from pathlib import Path

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
    persisted_env,
)

VAR = "LD_PRELOAD"


def entries(value: str) -> list[str]:
    """ld.so splits LD_PRELOAD on spaces and colons."""
    return [e for e in re.split(r"[:\s]+", value) if e]


def missing(value: str) -> list[str]:
    """Path entries that do not exist; `$LIB`-style tokens and bare names are the loader's."""
    return [e for e in entries(value) if "/" in e and "$" not in e and not os.path.exists(e)]


def _live(ctx: Context) -> Iterator[Diagnostic]:
    value = ctx.env.get(VAR, "")
    gone = missing(value)
    if not gone:
        return
    keep = [e for e in entries(value) if e not in gone]
    command = f"export {VAR}={shlex.quote(':'.join(keep))}" if keep else f"unset {VAR}"
    fix = Fix(
        f"Drop the missing entry from {VAR} in this shell",
        Applicability.DISPLAY_ONLY,
        instructions=f"run: {command}",
    )
    yield Diagnostic(
        Status.FAIL,
        f"{VAR} in this shell names {', '.join(gone)}, which does not "
        "exist: every process prints an ld.so error",
        {"where": "environment", "value": value, "missing": gone},
        (fix,),
        key="environment",
    )


def _persisted(ctx: Context) -> Iterator[Diagnostic]:
    for held in persisted_env(ctx):
        for change in held.changes:
            gone = missing(change.value) if change.name == VAR else []
            if not gone:
                continue
            keep = ":".join(e for e in entries(change.value) if e not in gone)
            others = [c for c in held.changes if c.name != VAR]
            changes = [*others, EnvChange(VAR, keep, change.op)] if keep else others
            fix = Fix(
                f"Remove {', '.join(gone)} from {VAR} in {held.file}",
                Applicability.SAFE,
                tuple(held.rewritten(changes, ctx.env)),
            )
            yield Diagnostic(
                Status.FAIL,
                f"{VAR} persisted in {held.file} names {', '.join(gone)}, which does not exist",
                {"where": str(held.file), "value": change.value, "missing": gone},
                (fix,),
                key=str(held.file),
            )


ASSIGNS = re.compile(r"^\s*(?:export\s+)?LD_PRELOAD=|^\s*setenv\s+LD_PRELOAD\s")


def _scripts(ctx: Context) -> list[Path]:
    """The examined environment's activation scripts, where users write exports by hand."""
    location = ctx.location
    if location.prefix is None:
        return []
    if location.kind == "venv":
        return [location.prefix / "bin" / n for n in ("activate", "activate.fish", "activate.csh")]
    if location.kind == "conda":
        return sorted((location.prefix / "etc" / "conda" / "activate.d").glob("*"))
    return []


def _hand_written(ctx: Context) -> Iterator[Diagnostic]:
    """LD_PRELOAD lines a user (or a tool) wrote outside devdoctor's own blocks."""
    for script in _scripts(ctx):
        try:
            lines = script.read_text(errors="replace").splitlines()
        except OSError:
            continue
        ours = False
        for number, line in enumerate(lines, 1):
            if "# >>> devdoctor >>>" in line or "# <<< devdoctor <<<" in line:
                ours = "# >>>" in line
                continue
            if ours or not ASSIGNS.match(line):
                continue
            raw = line.split("LD_PRELOAD", 1)[1].lstrip("= \t")
            try:
                words = shlex.split(raw, comments=True)
            except ValueError:
                continue
            gone = missing(words[0]) if words else []
            if not gone:
                continue
            where = f"{script}:{number}"
            fix = Fix(
                f"Remove {', '.join(gone)} from line {number} of {script.name}",
                Applicability.DISPLAY_ONLY,
                instructions=f"edit {shlex.quote(str(script))}, line {number}: drop "
                f"{', '.join(gone)} from LD_PRELOAD (a line devdoctor did not write)",
            )
            yield Diagnostic(
                Status.FAIL,
                f"{where}: LD_PRELOAD names {', '.join(gone)}, which does not exist",
                {"where": where, "value": words[0], "missing": gone},
                (fix,),
                key=where,
            )


def check(ctx: Context, settings: None) -> Iterator[Diagnostic]:
    found = [*_live(ctx), *_persisted(ctx), *_hand_written(ctx)]
    if not found:
        yield Diagnostic(Status.PASS, f"no missing {VAR} entries", {"value": ctx.env.get(VAR, "")})
    yield from found


RULE = Rule(
    code="DD102",
    name="stale-ld-preload",
    summary="LD_PRELOAD names a library that no longer exists",
    scope=Scope.ENVIRONMENT,
    node=True,
    check=check,
    fix_availability=FixAvailability.SOMETIMES,
    signatures=(
        Signature(
            "ld.so",
            r"ld\.so: object '(?P<library>[^']{1,4096})' from LD_PRELOAD cannot be preloaded",
            "LD_PRELOAD names {library}, which the loader cannot open",
        ),
    ),
)
