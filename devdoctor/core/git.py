"""The one way devdoctor runs git. Every call raises GitError when git fails, except `query`,
whose None means "git said no" (a ref that does not exist, a config key that is not set)."""

from __future__ import annotations

import functools
import subprocess
from collections.abc import Mapping
from pathlib import Path


class GitError(Exception):
    """git exited non-zero (or could not start); the message is git's own last words."""


def run_bytes(
    cwd: Path | str, *args: str, input: bytes | None = None, env: Mapping[str, str] | None = None
) -> bytes:
    try:
        proc = subprocess.run(
            ["git", *args],
            cwd=cwd,
            input=input,
            env=None if env is None else dict(env),
            capture_output=True,
            stdin=None if input is not None else subprocess.DEVNULL,
            check=False,
        )
    except OSError as exc:
        raise GitError(f"cannot run git: {exc.strerror or exc}") from None
    if proc.returncode != 0:
        said = proc.stderr.decode(errors="replace").strip()
        raise GitError(f"git {' '.join(args)}: {said or f'exit code {proc.returncode}'}")
    return proc.stdout


def run(cwd: Path | str, *args: str, env: Mapping[str, str] | None = None) -> str:
    """git's output as text, without the trailing newline."""
    return run_bytes(cwd, *args, env=env).decode(errors="replace").strip()


def query(cwd: Path | str, *args: str) -> str | None:
    """Like run, but a non-zero exit is an answer (None), not an error."""
    try:
        return run(cwd, *args)
    except GitError:
        return None


def succeeds(cwd: Path | str, *args: str) -> bool:
    return query(cwd, *args) is not None


def rev(cwd: Path | str, ref: str) -> str | None:
    """The commit a ref names, or None."""
    return query(cwd, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}") or None


@functools.cache
def version() -> tuple[int, ...]:
    out = query(".", "--version") or ""
    digits = out.split()[-1].split(".")[:3] if out else []
    return tuple(int("".join(c for c in d if c.isdigit()) or 0) for d in digits)
