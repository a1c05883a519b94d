"""A `.git/index.lock` left behind by a git process that is gone.

## What it does

Looks for `index.lock` in the git directory of the repository you stand in (worktrees and
`GIT_DIR` included) and for git processes whose working directory is inside that repository.
A lock with no such process is stale.

## Why is this bad?

git takes `index.lock` while it writes the index and removes it when done. A git that was killed
(a crashed IDE, a closed terminal, an out-of-memory kill) leaves it behind, and every later
command that writes the index fails with
`fatal: Unable to create '.../.git/index.lock': File exists.`

## Example

```
$ git commit -m "train on the new split"
fatal: Unable to create '/work/repo/.git/index.lock': File exists.
$ devdoctor check git-stale-index-lock
  ✗ DD302 git-stale-index-lock: /work/repo/.git/index.lock is left over from a git that is gone
```

## Fix

Remove the lock file. devdoctor only offers this when no git process runs in the repository;
while one does, the lock is in use and the rule reports it without a fix.

## Fix safety

Safe: the file is checked again just before it is removed (it must be byte-for-byte the file
that was checked), and `devdoctor undo` puts it back.
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
)

FIX_TITLE = "Remove the stale index.lock"


def _inside(path: str | None, folders: tuple[Path, ...]) -> bool:
    if not path:
        return False
    real = os.path.realpath(path)
    return any(real == str(f) or real.startswith(str(f) + os.sep) for f in folders)


def _git_processes(ctx: Context, folders: tuple[Path, ...]) -> list[int]:
    return [
        p.pid
        for p in ctx.processes()
        if p.pid != os.getpid()
        and (p.name == "git" or p.name.startswith("git-"))
        and _inside(p.cwd, folders)
    ]


def check(ctx: Context, settings: None) -> Iterator[Diagnostic]:
    repo = ctx.repo()
    if repo is None:
        yield Diagnostic(Status.SKIP, "not in a git repository")
        return
    work_tree, git_dir = repo.work_tree, repo.git_dir
    lock = git_dir / "index.lock"
    try:
        stat = lock.stat()
    except FileNotFoundError:
        yield Diagnostic(Status.PASS, "no index.lock", {"git_dir": str(git_dir)})
        return
    facts = {
        "lock": str(lock),
        "age_seconds": round(ctx.clock() - stat.st_mtime, 1),
        "size": stat.st_size,
    }
    folders = tuple(Path(os.path.realpath(f)) for f in {work_tree, git_dir})
    running = _git_processes(ctx, folders)
    if running:
        yield Diagnostic(
            Status.WARN,
            f"{lock} is held by a running git (pid "
            f"{', '.join(map(str, running))}); wait for it to finish",
            {**facts, "git_pids": running},
            key=str(lock),
        )
        return
    fix = Fix(FIX_TITLE, Applicability.SAFE, (FileEdit.write(lock, None),))
    yield Diagnostic(
        Status.FAIL, f"{lock} is left over from a git that is gone", facts, (fix,), key=str(lock)
    )


def fix_from_log(ctx: Context, facts: Mapping[str, Any], settings: None) -> Fix | None:
    """The lock the log names, if it is still there and no git runs in that repository."""
    lock = Path(str(facts.get("lock", "")))
    if not lock.is_file():
        return None
    folders = tuple(Path(os.path.realpath(f)) for f in (lock.parent, lock.parent.parent))
    if _git_processes(ctx, folders):
        return None
    return Fix(FIX_TITLE, Applicability.SAFE, (FileEdit.write(lock, None),))


RULE = Rule(
    code="DD302",
    name="git-stale-index-lock",
    summary="A .git/index.lock that no running git holds",
    scope=Scope.REPOSITORY,
    check=check,
    fix_availability=FixAvailability.SOMETIMES,
    signatures=(
        Signature(
            "Unable to create '",
            r"Unable to create '(?P<lock>[^'\n]{1,4096}?index\.lock)': File exists",
            "git's lock file {lock} is in the way (left by a git that stopped?)",
        ),
    ),
    fix_from_log=fix_from_log,
)
