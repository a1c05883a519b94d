"""Git LFS pointer files where weights or data should be.

## What it does

Looks through the repository's tracked files for Git LFS pointers left in place of content: a
file under 1 KiB that starts with `version https://git-lfs.github.com/spec/v1` — a clone without
git-lfs installed, or with `GIT_LFS_SKIP_SMUDGE=1`. Says whether git-lfs is installed.

## Why is this bad?

The loaders read the pointer text as weights: `_pickle.UnpicklingError: invalid load key, 'v'.`,
`safetensors_rust.SafetensorError: Error while deserializing header: HeaderTooLarge`; a clone
without git-lfs prints `git-lfs filter-process: git-lfs: command not found`.

## Example

```
$ devdoctor check lfs-pointer-not-content
  ✗ DD308 lfs-pointer-not-content: 2 files are Git LFS pointers, not their content:
    model.safetensors, tokenizer.json
```

## Fix

With git-lfs installed: `git lfs install --local` and `git lfs pull` for exactly those files
(network); the files are then checked again. Without it: display-only, how to install git-lfs.
`devdoctor undo` writes the pointers back.

## Fix safety

Unsafe: it downloads from the repository's LFS server; nothing you wrote is touched, and undo
restores the pointers byte for byte.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from devdoctor.api import (
    Applicability,
    Context,
    Diagnostic,
    Fix,
    FixAvailability,
    Rule,
    Scope,
    Signature,
    Status,
    git,
)

from ._lfs import LfsPull, is_pointer


def pointers(work_tree: Path) -> list[str]:
    names = git.run_bytes(work_tree, "ls-files", "-z").decode(errors="replace").split("\0")
    return [n for n in names[:50000] if n and is_pointer(work_tree / n)]


def _fix(work_tree: Path, found: list[str]) -> Fix:
    if git.query(work_tree, "lfs", "version") is None:
        return Fix(
            "Install git-lfs",
            Applicability.DISPLAY_ONLY,
            instructions="install git-lfs (as root: apt-get install git-lfs; or conda "
            "install -c conda-forge git-lfs), then run: git lfs install && git lfs pull",
        )
    edit = LfsPull(work_tree, tuple((p, (work_tree / p).read_bytes()) for p in found))

    def verify(env: Mapping[str, str]) -> str | None:
        left = [p for p in found if is_pointer(work_tree / p)]
        return f"still pointers: {', '.join(left)}" if left else None

    return Fix(f"git lfs pull {len(found)} files", Applicability.UNSAFE, (edit,), verify=verify)


def check(ctx: Context, settings: Any) -> Iterator[Diagnostic]:
    repo = ctx.repo()
    if repo is None:
        yield Diagnostic(Status.SKIP, "not in a git repository")
        return
    try:
        found = pointers(repo.work_tree)
    except git.GitError as exc:
        yield Diagnostic(Status.SKIP, f"git cannot list the files: {exc}")
        return
    if not found:
        yield Diagnostic(Status.PASS, "no tracked file is a Git LFS pointer")
        return
    yield Diagnostic(
        Status.FAIL,
        f"{len(found)} files are Git LFS pointers, not their content: {', '.join(found[:5])}",
        {"pointers": found, "git_lfs": git.query(repo.work_tree, "lfs", "version")},
        (_fix(repo.work_tree, found),),
        key="lfs",
    )


def fix_from_log(ctx: Context, facts: Mapping[str, Any], settings: Any) -> Fix | None:
    repo = ctx.repo()
    if repo is None:
        return None
    try:
        found = pointers(repo.work_tree)
    except git.GitError:
        return None
    return _fix(repo.work_tree, found) if found else None


RULE = Rule(
    code="DD308",
    name="lfs-pointer-not-content",
    summary="Git LFS pointer files where weights or data should be",
    scope=Scope.REPOSITORY,
    check=check,
    fix_availability=FixAvailability.SOMETIMES,
    signatures=(
        # a loader reading "version https://git-lfs..." as its format
        Signature(
            "invalid load key",
            r"invalid load key, 'v'",
            "a pickle file is a Git LFS pointer ('v' of 'version https://git-lfs...')",
        ),
        Signature(
            "HeaderTooLarge",
            r"HeaderTooLarge",
            "a safetensors file is a Git LFS pointer (its text read as a header length)",
        ),
        Signature(
            ("git-lfs", "lfs"),
            r"git-lfs: command not found|lfs' is not a git command",
            "git-lfs is not installed: LFS files stay pointers",
        ),
        Signature(
            "Clone succeeded",
            r"Clone succeeded, but checkout failed",
            "a clone left files out (git-lfs missing?)",
            certain=False,
            to_tell="Does the output name git-lfs or a filter? devdoctor check "
            "lfs-pointer-not-content finds the pointer files",
        ),
    ),
    fix_from_log=fix_from_log,
)
