"""The rule-author API: everything a rule module may import from devdoctor.

A rule imports this module and its own family's private helpers (`from ._elf import ...`), never
another family's and never the engine's internals.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, TypeVar

from devdoctor import __version__ as VERSION
from devdoctor.core import git
from devdoctor.core.child import run_script
from devdoctor.core.context import Context, ProcessInfo, Repository
from devdoctor.core.fix import (
    Applicability,
    EditFailed,
    EnvChange,
    EnvOp,
    Fix,
    FixAvailability,
)
from devdoctor.core.rule import Diagnostic, Family, Rule, Scope, Signature, Status
from devdoctor.core.staged import StagedFile
from devdoctor.core.target import Distribution, TargetError, TargetFacts
from devdoctor.fixes.edits import (
    BRANCH_REF,
    SHA,
    FileEdit,
    PackageEdit,
    journal_field,
    journal_path,
)
from devdoctor.private import write_private
from devdoctor.redact import HF_TOKEN_PATTERN

if TYPE_CHECKING:
    from devdoctor.fixes.links import LinkEdit, MoveEdit
    from devdoctor.fixes.persist import Held
    from devdoctor.fixes.swap import PackageAdd, PackageRemove, PackageSwap

T = TypeVar("T")


def setting(default: T, help: str, short: str = "") -> T:
    """A settings (or fix options) field with its documentation: `devdoctor explain` lists it
    under `## Settings`, and `devdoctor fix --help` shows fix options with it (`short`: a
    one-letter flag such as -m, for fix options)."""
    metadata = {"help": help, "short": (short,) if short else ()}
    field: T = dataclasses.field(default=default, metadata=metadata)
    return field


def persisted_env(ctx: Context) -> list[Held]:
    """Where devdoctor persisted environment variables (the examined env, the shell rc block,
    every file the fix journal wrote), with what each holds. Read only; cached per run."""

    def compute() -> list[Held]:
        if not _may_hold_blocks(ctx):  # the usual case: no need to load the write layer
            return []
        from devdoctor.fixes import journal, persist

        files = journal.written_files(ctx.state_dir) if ctx.state_dir else []
        return list(persist.held(ctx.location, ctx.env, files))

    return ctx.memo("persisted_env", compute)


def effective_env(ctx: Context) -> dict[str, str]:
    """The environment a new process of the examined interpreter gets: this one, with what
    devdoctor persisted for that environment's activation applied when it is not active."""
    env = dict(ctx.env)
    prefix = ctx.location.prefix
    for held in persisted_env(ctx):
        if held.location.prefix != prefix or prefix is None:
            continue
        for change in held.changes:
            if change.value and change.value in env.get(change.name, "").split(":"):
                continue  # active already
            change.applied_to(env)
    return env


BLOCK_MARKER = b"# >>> devdoctor >>>"


def _may_hold_blocks(ctx: Context) -> bool:
    """Whether any place devdoctor persists to could hold one of its blocks: a journaled run,
    or the marker in the examined environment's scripts or a shell rc file."""
    import os
    from pathlib import Path

    journal = ctx.state_dir / "journal" if ctx.state_dir else None
    if journal is not None and journal.is_dir() and any(journal.iterdir()):
        return True
    home = Path(ctx.env.get("HOME") or os.path.expanduser("~"))
    config = Path(ctx.env.get("XDG_CONFIG_HOME") or home / ".config")
    places = [
        home / ".bashrc",
        Path(ctx.env.get("ZDOTDIR") or home) / ".zshrc",
        config / "fish" / "config.fish",
    ]
    prefix = ctx.location.prefix
    if prefix is not None:
        places += [prefix / "bin" / n for n in ("activate", "activate.fish", "activate.csh")]
        places += list((prefix / "etc" / "conda" / "activate.d").glob("devdoctor.*"))
    for place in places:
        try:
            if BLOCK_MARKER in place.read_bytes():
                return True
        except OSError:
            continue
    return False


__all__ = [
    "BRANCH_REF",
    "HF_TOKEN_PATTERN",
    "SHA",
    "VERSION",
    "Applicability",
    "Context",
    "Diagnostic",
    "Distribution",
    "EditFailed",
    "EnvChange",
    "EnvOp",
    "Family",
    "FileEdit",
    "Fix",
    "FixAvailability",
    "LinkEdit",
    "MoveEdit",
    "PackageAdd",
    "PackageEdit",
    "PackageRemove",
    "PackageSwap",
    "ProcessInfo",
    "Repository",
    "Rule",
    "Scope",
    "Signature",
    "StagedFile",
    "Status",
    "TargetError",
    "TargetFacts",
    "effective_env",
    "git",
    "journal_field",
    "journal_path",
    "persisted_env",
    "run_script",
    "setting",
    "write_private",
]


def __getattr__(name: str) -> object:
    """Edit kinds few rules use, imported when one asks (every rule imports this module)."""
    if name in ("LinkEdit", "MoveEdit"):
        from devdoctor.fixes import links

        return getattr(links, name)
    if name in ("PackageSwap", "PackageAdd", "PackageRemove"):
        from devdoctor.fixes import swap

        return getattr(swap, name)
    raise AttributeError(name)
