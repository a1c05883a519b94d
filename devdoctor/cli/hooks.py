"""devdoctor as a git hook: `hook run` (staged files), `hook history` (the branch being pushed),
and `hook install` / `hook uninstall` for users without the pre-commit framework.

A hook never writes, never prompts and never touches the network: only hook-safe rules run, with
fixes shown but not applied, inside a time budget (a rule over it is skipped with a note).
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from devdoctor.cli import report
from devdoctor.cli.commands import Session, open_session, run_rules, target_model
from devdoctor.core import engine, git
from devdoctor.core.rule import Scope, Status
from devdoctor.errors import DevdoctorError, UsageError
from devdoctor.fixes.edits import atomic_write

STAGES = ("pre-commit", "pre-push")
MARKER = "# devdoctor hook:"
CHAINED = ".devdoctor-chained"


def _report(session: Session, results: list[engine.Result]) -> int:
    """As git hooks talk: nothing on success; on failure only what fails, with the remedy."""
    from devdoctor.cli.text import render_hook

    model = report.check_model(results, target_model(session.ctx, False), (), session.notes)
    report.emit(model, "text", render_hook)
    return report.exit_code([r["status"] for r in model["results"]], strict=False)


def run(files: Sequence[str]) -> int:
    """The hook-safe rules on the staged content of `files` (none: everything staged)."""
    session = open_session([], None, in_hook=True, hook_files=files)
    session.rules = [r for r in session.rules if r.scope is Scope.HOOK]
    results = engine.run(
        session.rules, session.ctx, session.ctx.config.hook_timeout, over_budget=Status.SKIP
    )
    return _report(session, results)


def history() -> int:
    """DD301 on the branch being pushed; it computes its own merge-base with the default branch,
    so messy commits already on the remote count too."""
    session = open_session(["git-messy-history"], None, in_hook=True)
    return _report(session, run_rules(session, show_spinner=False))


# --- install / uninstall ----------------------------------------------------------------------


def _git(repo: Path, *args: str) -> str:
    try:
        return git.run(repo, *args)
    except git.GitError as exc:
        raise DevdoctorError(f"not in a git repository ({exc})") from None


def hooks_dir(cwd: Path) -> Path:
    """`git rev-parse --git-path hooks`: honours core.hooksPath and linked worktrees. Refuses a
    shared hooks directory (outside this repository's git dir) instead of editing it."""
    git_dir = Path(_git(cwd, "rev-parse", "--absolute-git-dir"))
    common = Path(_git(cwd, "rev-parse", "--git-common-dir"))
    common = common if common.is_absolute() else (cwd / common).resolve()
    path = Path(_git(cwd, "rev-parse", "--git-path", "hooks"))
    path = path if path.is_absolute() else (cwd / path).resolve()
    if _git(cwd, "config", "--default", "", "core.hooksPath") and not (
        path.is_relative_to(git_dir) or path.is_relative_to(common)
    ):
        raise DevdoctorError(
            f"core.hooksPath points to a shared hooks directory ({path}); devdoctor will not edit "
            f"it. Add this line to its hook yourself: {_command('pre-commit')}"
        )
    return path


def _command(stage: str) -> str:
    """The interpreter that installed devdoctor, by absolute path: GUI clients and IDEs run
    hooks without the user's PATH."""
    action = "run" if stage == "pre-commit" else "history"
    return f"{shlex.quote(sys.executable)} -m devdoctor hook {action}"


def script(stage: str) -> str:
    chained = f'"$hook_dir/{stage}{CHAINED}"'
    if stage == "pre-commit":
        return (
            f"#!/bin/sh\n{MARKER} {stage}. `devdoctor hook uninstall` restores what was here.\n"
            'hook_dir=$(dirname "$0")\n'
            f'if [ -e {chained} ]; then {chained} "$@" || exit $?; fi\n'
            f"exec {_command(stage)}\n"
        )
    # pre-push hooks read the refs being pushed on stdin: both hooks get them.
    return (
        f"#!/bin/sh\n{MARKER} {stage}. `devdoctor hook uninstall` restores what was here.\n"
        'hook_dir=$(dirname "$0")\n'
        "input=$(cat)\n"
        f'if [ -e {chained} ]; then printf "%s\\n" "$input" | {chained} "$@" || exit $?; fi\n'
        f'printf "%s\\n" "$input" | {_command(stage)}\n'
    )


def _ours(path: Path) -> bool:
    try:
        return MARKER in path.read_text(errors="replace").splitlines()[1]
    except (OSError, IndexError):
        return False


def install(stage: str) -> int:
    if stage not in STAGES:
        raise UsageError(f"--stage {stage}: choose pre-commit or pre-push")
    folder = hooks_dir(Path.cwd())
    folder.mkdir(parents=True, exist_ok=True)
    hook, chained = folder / stage, folder / f"{stage}{CHAINED}"
    if os.path.lexists(hook) and not _ours(hook):  # a dangling link is somebody's hook too
        if os.path.lexists(chained):
            raise DevdoctorError(f"{chained} already exists; move it away first")
        os.rename(hook, chained)  # kept byte for byte, mode and all; run first by ours
    try:
        atomic_write(hook, script(stage).encode())
        os.chmod(hook, 0o755)
    except OSError:
        if os.path.lexists(chained) and not os.path.lexists(hook):
            os.rename(chained, hook)
        raise
    kept = f" (the existing hook runs first: {chained.name})" if os.path.lexists(chained) else ""
    print(f"installed {hook}{kept}")
    return 0


def uninstall(stage: str) -> int:
    if stage not in STAGES:
        raise UsageError(f"--stage {stage}: choose pre-commit or pre-push")
    folder = hooks_dir(Path.cwd())
    hook, chained = folder / stage, folder / f"{stage}{CHAINED}"
    if not _ours(hook):
        print(f"no devdoctor {stage} hook in {folder}")
        return 0
    if os.path.lexists(chained):
        os.replace(chained, hook)
        print(f"restored the original {hook}")
    else:
        hook.unlink()
        print(f"removed {hook}")
    return 0
