"""Submodules that were never initialised: their folders are empty, and builds fail on them.

## What it does

Reads `git submodule status` in the repository you stand in: a line starting with `-` is a
submodule declared in `.gitmodules` and never checked out (a clone without `--recursive`, a zip
download of a repository with submodules has no `.git` at all).

## Why is this bad?

Builds stop on the empty folder: CMake's `add_subdirectory given source "third_party/googletest"
which is not an existing directory` or `The source directory .../thirdparty/glm does not contain
a CMakeLists.txt file`, `setup.py` not finding vendored sources, imports of vendored packages.

## Example

```
$ devdoctor check git-submodules-uninitialised
  ✗ DD307 git-submodules-uninitialised: 2 submodules are not checked out: third_party/glm,
    third_party/pybind11
```

## Fix

`git submodule update --init --recursive` for those submodules (it fetches them from the URLs
in `.gitmodules`); `git submodule status` then shows them checked out, in a new process.
`devdoctor undo` runs `git submodule deinit -f` for them.

## Fix safety

Unsafe: it fetches code from the network; undo empties the folders again (their clones stay
under `.git/modules`).
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

from ._submodules import SubmoduleEdit


def uninitialised(work_tree: Path) -> list[str]:
    if not (work_tree / ".gitmodules").is_file():
        return []
    status = git.run_bytes(work_tree, "submodule", "status").decode(errors="replace")
    return [line.split()[1] for line in status.splitlines() if line.startswith("-")]


def _fix(work_tree: Path, paths: list[str]) -> Fix:
    def verify(env: Mapping[str, str]) -> str | None:
        status = git.run(work_tree, "submodule", "status", env=env)  # git: a new process
        left = [line for line in status.splitlines() if line.startswith("-")]
        return "; ".join(left) or None

    return Fix(
        f"Check out {len(paths)} submodules",
        Applicability.UNSAFE,
        (SubmoduleEdit(work_tree, tuple(paths)),),
        verify=verify,
    )


def check(ctx: Context, settings: Any) -> Iterator[Diagnostic]:
    repo = ctx.repo()
    if repo is None:
        yield Diagnostic(Status.SKIP, "not in a git repository")
        return
    try:
        paths = uninitialised(repo.work_tree)
    except git.GitError as exc:
        yield Diagnostic(Status.SKIP, f"git cannot list the submodules: {exc}")
        return
    if not paths:
        yield Diagnostic(Status.PASS, "every submodule is checked out (or there are none)")
        return
    yield Diagnostic(
        Status.FAIL,
        f"{len(paths)} submodules are not checked out: {', '.join(paths[:5])}",
        {"submodules": paths},
        (_fix(repo.work_tree, paths),),
        key="submodules",
    )


def fix_from_log(ctx: Context, facts: Mapping[str, Any], settings: Any) -> Fix | None:
    repo = ctx.repo()
    if repo is None:
        return None
    try:
        paths = uninitialised(repo.work_tree)
    except git.GitError:
        return None
    return _fix(repo.work_tree, paths) if paths else None


VENDORED = r"(?:third_?party|external|extern|deps|vendor|submodules?|3rdparty)"

RULE = Rule(
    code="DD307",
    name="git-submodules-uninitialised",
    summary="Submodules not initialised: builds fail on empty folders",
    scope=Scope.REPOSITORY,
    check=check,
    fix_availability=FixAvailability.ALWAYS,
    signatures=(
        # CMake on an empty vendored folder, in its two wordings (wrapped over lines)
        Signature(
            ("does not contain a CMakeLists.txt file", "not an existing directory"),
            r"(?:does not contain a CMakeLists\.txt file|not an existing directory)",
            "a vendored folder is empty: a submodule not checked out?",
            context=VENDORED,
        ),
        Signature(
            ("does not contain a CMakeLists.txt file", "not an existing directory"),
            r"(?:does not contain a CMakeLists\.txt file|not an existing directory)",
            "a CMake source folder is empty or missing",
            certain=False,
            to_tell="Is it a submodule (listed in .gitmodules)? devdoctor check "
            "git-submodules-uninitialised says which are not checked out",
        ),
    ),
    fix_from_log=fix_from_log,
)
