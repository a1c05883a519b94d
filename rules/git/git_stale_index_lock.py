"""A `.git/index.lock` left behind by a git process that is gone.

## What it does

Looks for `index.lock` in the git directory of the repository you stand in (worktrees and
`GIT_DIR` included). It is stale when no git process works in that repository, no process at
all has the file open (libgit2, GitPython, JGit and IDEs take the lock without being `git`),
and it is older than `grace_seconds` (a git that is starting has just made it). From a log,
only a file named exactly `index.lock` inside a git directory is considered.

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

Remove the lock file. devdoctor only offers this when the lock is stale as above; while it is
in use the rule reports who holds it, without a fix.

## Fix safety

Safe: the file is checked again just before it is removed (it must be byte-for-byte the file
that was checked), and `devdoctor undo` puts it back.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
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
    setting,
)

FIX_TITLE = "Remove the stale index.lock"


@dataclass(frozen=True)
class Settings:
    grace_seconds: float = setting(
        2.0, "a lock younger than this may belong to a git that is starting: never stale"
    )


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


def is_git_lock(lock: Path) -> bool:
    """`index.lock` directly in a git directory (a repository's, or a linked worktree's)."""
    folder = lock.parent
    return (
        lock.name == "index.lock"
        and (folder / "HEAD").is_file()
        and ((folder / "objects").is_dir() or (folder / "commondir").is_file())
    )


def why_in_use(ctx: Context, lock: Path, settings: Settings) -> tuple[str, dict[str, Any]] | None:
    """Who may still be using the lock (in words, and as facts); None when it is stale."""
    folders = tuple(Path(os.path.realpath(f)) for f in {lock.parent, lock.parent.parent})
    running = _git_processes(ctx, folders)
    if running:
        pids = ", ".join(map(str, running))
        return f"held by a running git (pid {pids}); wait for it", {"git_pids": running}
    holders = [pid for pid in ctx.holders(os.path.realpath(lock)) if pid != os.getpid()]
    if holders:
        pids = ", ".join(map(str, holders))
        return f"open in pid {pids} (a git library or an IDE)", {"holder_pids": holders}
    try:
        age = ctx.clock() - lock.stat().st_mtime
    except OSError:
        return None
    if age < settings.grace_seconds:
        return f"{age:.1f} s old: a git may be starting; check again in a moment", {}
    return None


def check(ctx: Context, settings: Settings) -> Iterator[Diagnostic]:
    repo = ctx.repo()
    if repo is None:
        yield Diagnostic(Status.SKIP, "not in a git repository")
        return
    lock = repo.git_dir / "index.lock"
    try:
        stat = lock.stat()
    except FileNotFoundError:
        yield Diagnostic(Status.PASS, "no index.lock", {"git_dir": str(repo.git_dir)})
        return
    facts = {
        "lock": str(lock),
        "age_seconds": round(ctx.clock() - stat.st_mtime, 1),
        "size": stat.st_size,
    }
    in_use = why_in_use(ctx, lock, settings)
    if in_use:
        why, more = in_use
        yield Diagnostic(Status.WARN, f"{lock} is in use: {why}", {**facts, **more}, key=str(lock))
        return
    fix = Fix(FIX_TITLE, Applicability.SAFE, (FileEdit.write(lock, None),))
    yield Diagnostic(
        Status.FAIL, f"{lock} is left over from a git that is gone", facts, (fix,), key=str(lock)
    )


def enrich(ctx: Context, facts: Mapping[str, str]) -> dict[str, Any]:
    return {"lock": facts["git_dir"] + "index.lock"}


def fix_from_log(ctx: Context, facts: Mapping[str, Any], settings: Settings) -> Fix | None:
    """The lock the log names, if it is a git lock that is still there and stale."""
    lock = Path(str(facts.get("lock", "")))
    if not lock.is_file() or not is_git_lock(lock) or why_in_use(ctx, lock, settings):
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
        # git's "Unable to create '<path>': File exists." in any language: the quoted lock
        # path, then the file exists (exist/existe/existiert, 存在, существует, istnieje).
        Signature(
            "index.lock",
            r"index\.lock['\"] ?[:,]? {0,2}.{0,80}?(?:exist|存在|существ|istnieje|있습니다)",
            "git's lock file {git_dir}index.lock is in the way (left by a git that stopped?)",
            before="git_dir",
            before_pattern=r".{0,4080}\.git[/\\](?:[^/\\]{1,255}[/\\]){0,4}",
            flags=re.IGNORECASE,
        ),
    ),
    settings=Settings,
    fix_from_log=fix_from_log,
    enrich=enrich,
)
