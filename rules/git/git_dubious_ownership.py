"""git refuses a repository owned by another user (`safe.directory`).

## What it does

Asks git itself, in the repository you stand in: `git rev-parse --git-dir` fails with `detected
dubious ownership` when the repository belongs to another user (a `docker run -v` mount, a
checkout made with sudo, a shared cluster folder) and no `safe.directory` entry covers it. The
owner of the folder and your user are in the facts.

## Why is this bad?

Every git command there stops with `fatal: detected dubious ownership in repository at '/repo'`
— and so do tools that call git (pip installing from a checkout, setuptools-scm, pre-commit).

## Example

```
$ devdoctor check git-dubious-ownership
  ✗ DD305 git-dubious-ownership: git refuses /workspace/ComfyUI: it belongs to uid 1000, you
    are uid 0, and no safe.directory entry covers it
```

## Fix

Add exactly this repository to `safe.directory` in your global git config (never `*`), then run
`git rev-parse` there in a new process. `devdoctor undo` restores the config file byte for byte.

## Fix safety

Safe: one entry in your own git config for one path; undone exactly.
"""

from __future__ import annotations

import os
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


def refused(path: Path, env: Mapping[str, str] | None = None) -> str | None:
    """git's own refusal in that folder, or None."""
    try:
        git.run(path, "rev-parse", "--git-dir", env=env)
    except git.GitError as exc:
        return str(exc) if "dubious ownership" in str(exc) else None
    return None


def global_config(env: Mapping[str, str]) -> Path:
    """The file `git config --global` writes: ~/.gitconfig, or the XDG one when only it exists."""
    home = Path(env.get("HOME", os.path.expanduser("~")))
    xdg = Path(env.get("XDG_CONFIG_HOME") or home / ".config") / "git" / "config"
    legacy = home / ".gitconfig"
    return xdg if xdg.is_file() and not legacy.exists() else legacy


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _fix(ctx: Context, path: Path) -> Fix:
    if any(c in str(path) for c in "\n\r\0"):
        return Fix(
            "Add the repository to safe.directory",
            Applicability.DISPLAY_ONLY,
            instructions="the path holds a line break: git config cannot hold it",
        )
    config = global_config(ctx.env)
    before = config.read_text() if config.is_file() else ""
    entry = f"[safe]\n\tdirectory = {_quoted(str(path))}\n"
    after = before + ("" if not before or before.endswith("\n") else "\n") + entry

    def verify(env: Mapping[str, str]) -> str | None:
        return refused(path, env)

    return Fix(
        f"Add {path} to safe.directory in {config}",
        Applicability.SAFE,
        (FileEdit.write(config, after),),
        verify=verify,
    )


def check(ctx: Context, settings: Any) -> Iterator[Diagnostic]:
    repo = ctx.repo()
    if repo is None:
        yield Diagnostic(Status.SKIP, "not in a git repository")
        return
    path = repo.work_tree
    said = refused(path, ctx.env)
    if said is None:
        yield Diagnostic(Status.PASS, f"git works in {path}")
        return
    try:
        owner = path.stat().st_uid
    except OSError:
        owner = -1
    facts = {"repository": str(path), "owner_uid": owner, "your_uid": os.geteuid()}
    yield Diagnostic(
        Status.FAIL,
        f"git refuses {path}: it belongs to uid {owner}, you are uid {os.geteuid()}, and no "
        "safe.directory entry covers it",
        facts,
        (_fix(ctx, path),),
        key=str(path),
    )


def fix_from_log(ctx: Context, facts: Mapping[str, Any], settings: Any) -> Fix | None:
    path = Path(str(facts.get("path", "")).strip("'\""))
    if path.name == ".git":
        path = path.parent
    if not path.is_absolute() or refused(path, ctx.env) is None:
        return None
    return _fix(ctx, path)


RULE = Rule(
    code="DD305",
    name="git-dubious-ownership",
    summary="git refuses a repository owned by another user",
    scope=Scope.REPOSITORY,
    check=check,
    fix_availability=FixAvailability.SOMETIMES,
    signatures=(
        Signature(
            "detected dubious ownership",
            r"detected dubious ownership in repository at '(?P<path>[^'\n]{1,4096})'",
            "git refuses {path}: it belongs to another user",
        ),
        # git's own hint under the error
        Signature(
            "safe.directory",
            r"safe\.directory (?P<path>/\S{0,4096}|'[^'\n]{1,4096}')",
            "git refuses {path}: it belongs to another user",
            context=r"add --global|dubious|safe\.directory",
        ),
    ),
    fix_from_log=fix_from_log,
)
