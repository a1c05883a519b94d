"""Shell scripts checked out with CRLF line endings (`bash\r: No such file`, `^M: bad
interpreter`).

## What it does

Lists the repository's tracked shell scripts (`*.sh`, `*.bash`, or a `#!` first line naming a
shell) whose working-tree copy has CRLF line endings — what `core.autocrlf=true` (the Windows
default, often copied into WSL or a container) or a checkout on Windows leaves behind — and says
where the setting comes from.

## Why is this bad?

The kernel reads `#!/bin/bash\r`: `env: bash\r: No such file or directory`, `/bin/bash^M: bad
interpreter`, then `$'\r': command not found` on every line.

## Example

```
$ devdoctor check git-crlf-checkout
  ✗ DD306 git-crlf-checkout: 2 scripts have CRLF line endings (core.autocrlf=true):
    scripts/train.sh, tools/setup.sh
```

## Fix

Set `core.autocrlf=input` for this repository (LF in the working tree from now on) and rewrite
only the affected files with LF endings (previewed as a diff); each script then passes `sh -n`
in a new process. `devdoctor undo` restores the files and the setting byte for byte.

## Fix safety

Safe: the files' content is unchanged but for line endings, the config is the repository's own,
and undo is exact.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from devdoctor.api import (
    Applicability,
    Context,
    Diagnostic,
    FileEdit,
    Fix,
    FixAvailability,
    Rule,
    Scope,
    Signature,
    Status,
    git,
)

from ._index import IndexRefresh

SHEBANG = re.compile(rb"#![^\r\n]{0,200}\b(?:sh|bash|zsh|dash|ksh)\b")
LIMIT = 2000  # scripts examined at most


def crlf_scripts(work_tree: Path) -> list[Path]:
    names = git.run(work_tree, "ls-files", "-z").split("\0")
    found = []
    for name in names[:20000]:
        path = work_tree / name
        try:
            with open(path, "rb") as f:
                head = f.read(4096)
        except OSError:
            continue
        script = name.endswith((".sh", ".bash")) or bool(SHEBANG.match(head))
        if script and b"\r\n" in head:
            found.append(path)
            if len(found) >= LIMIT:
                break
    return found


def _fix(ctx: Context, work_tree: Path, found: list[Path]) -> Fix:
    config = Path(git.run(work_tree, "rev-parse", "--git-path", "config"))
    config = config if config.is_absolute() else work_tree / config
    text = config.read_text()
    if "autocrlf" in text:
        new = re.sub(r"(?m)^(\s*)autocrlf\s*=.*$", r"\1autocrlf = input", text)
    else:
        new = text.replace("[core]\n", "[core]\n\tautocrlf = input\n", 1)
        if new == text:
            new = text + "[core]\n\tautocrlf = input\n"
    edits: list[Any] = [FileEdit.write(config, new)]
    edits += [FileEdit.write(p, p.read_bytes().replace(b"\r\n", b"\n")) for p in found]
    edits.append(IndexRefresh(work_tree, tuple(str(p.relative_to(work_tree)) for p in found)))

    def verify(env: Mapping[str, str]) -> str | None:
        for path in found:  # the shell reads each script again, in a new process
            ran = subprocess.run(
                ["sh", "-n", str(path)],
                env=dict(env),
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
            if ran.returncode != 0 or b"\r\n" in path.read_bytes():
                return f"{path}: {ran.stderr.strip() or 'still has CRLF'}"
        return None

    return Fix(
        f"core.autocrlf=input and LF in {len(found)} scripts",
        Applicability.SAFE,
        tuple(edits),
        verify=verify,
    )


def check(ctx: Context, settings: Any) -> Iterator[Diagnostic]:
    repo = ctx.repo()
    if repo is None:
        yield Diagnostic(Status.SKIP, "not in a git repository")
        return
    try:
        found = crlf_scripts(repo.work_tree)
    except git.GitError as exc:
        yield Diagnostic(Status.SKIP, f"git cannot list the files: {exc}")
        return
    if not found:
        yield Diagnostic(Status.PASS, "no shell script has CRLF line endings")
        return
    setting = git.query(repo.work_tree, "config", "core.autocrlf")
    why = f" (core.autocrlf={setting})" if setting else ""
    rel = [str(p.relative_to(repo.work_tree)) for p in found]
    yield Diagnostic(
        Status.FAIL,
        f"{len(found)} scripts have CRLF line endings{why}: {', '.join(rel[:5])}",
        {"scripts": rel, "autocrlf": setting},
        (_fix(ctx, repo.work_tree, found),),
        key="crlf",
    )


def fix_from_log(ctx: Context, facts: Mapping[str, Any], settings: Any) -> Fix | None:
    repo = ctx.repo()
    if repo is None:
        return None
    try:
        found = crlf_scripts(repo.work_tree)
    except git.GitError:
        return None
    return _fix(ctx, repo.work_tree, found) if found else None


RULE = Rule(
    code="DD306",
    name="git-crlf-checkout",
    summary="Shell scripts checked out with CRLF line endings",
    scope=Scope.REPOSITORY,
    check=check,
    fix_availability=FixAvailability.ALWAYS,
    signatures=(
        # the shebang's interpreter with a carriage return, as the kernel or env reports it
        Signature(
            ("bad interpreter", "No such file or directory"),
            r"(?:(?<=\^M: )|(?<=\\r: ))bad interpreter|"
            r"(?:(?<=\\r: )|(?<=\\r': ))No such file or directory",
            "a script has CRLF line endings (its #! line ends in a carriage return)",
        ),
        # bash 5.2 no longer shows the interpreter: only probably this
        Signature(
            "cannot execute",
            r"cannot execute: required file not found",
            "a script's #! interpreter was not found (CRLF line endings?)",
            certain=False,
            to_tell="Does the script's first line end with a carriage return (`file script.sh` "
            "says 'with CRLF line terminators')? devdoctor check git-crlf-checkout lists them; "
            "otherwise its interpreter is not installed",
        ),
        Signature(
            "command not found",
            r"(?<=\$'\\r': )command not found",
            "a shell script has CRLF line endings",
        ),
    ),
    fix_from_log=fix_from_log,
)
