"""Persist environment variables where the user's shells will pick them up.

Targets: `venv` (the venv's activate scripts: set on activate, restored on deactivate),
`conda` (the env's etc/conda/activate.d and deactivate.d scripts), `shell` (a marked block in
the user's rc file, only when asked), `print` (nothing written). Everything is expressed as file
edits, so preview, apply, rollback and undo are the core's and exact to the byte.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from devdoctor.core.fix import EnvChange
from devdoctor.core.target import Location
from devdoctor.errors import DevdoctorError, UsageError
from devdoctor.fixes import shells
from devdoctor.fixes.edits import FileEdit

TARGETS = ("auto", "conda", "venv", "shell", "print")


class PersistError(DevdoctorError):
    """A file devdoctor would edit is not in a shape it understands."""


@dataclass(frozen=True)
class Persisted:
    where: str
    edits: tuple[FileEdit, ...]
    instructions: str


def resolve_kind(requested: str, location: Location) -> str:
    if requested not in TARGETS:
        raise UsageError(f"--target {requested}: choose one of {', '.join(TARGETS)}")
    if requested == "auto":
        return location.kind if location.kind in ("conda", "venv") else "print"
    if requested in ("conda", "venv") and (location.kind != requested or not location.prefix):
        raise UsageError(
            f"--target {requested}: the examined Python is not a {requested} "
            f"environment (use --python, or --target shell/print)"
        )
    return requested


def merge(current: Sequence[EnvChange], new: Sequence[EnvChange]) -> list[EnvChange]:
    by_name = {c.name: c for c in current}
    by_name.update({c.name: c for c in new})
    return list(by_name.values())


# --- where each target keeps its files ------------------------------------------------------


def _read(path: Path) -> str | None:
    """The file's text with its line endings as they are (CRLF stays CRLF outside our block)."""
    try:
        with open(path, encoding="utf-8", errors="surrogateescape", newline="") as f:
            return f.read()
    except FileNotFoundError:
        return None


def _edit(path: Path, text: str | None) -> FileEdit | None:
    edit = FileEdit.write(path, None if text is None else text.encode("utf-8", "surrogateescape"))
    return None if edit.before == edit.after else edit


def rc_file(env: Mapping[str, str]) -> tuple[Path, str]:
    home = Path(env.get("HOME") or os.path.expanduser("~"))
    shell = Path(env.get("SHELL", "bash")).name
    if shell == "zsh":
        return Path(env.get("ZDOTDIR") or home) / ".zshrc", "sh"
    if shell == "fish":
        config = Path(env.get("XDG_CONFIG_HOME") or home / ".config")
        return config / "fish" / "config.fish", "fish"
    return home / ".bashrc", "sh"


def _conda_scripts(prefix: Path) -> list[tuple[Path, Path, str]]:
    base = prefix / "etc" / "conda"
    return [
        (base / "activate.d" / f"devdoctor.{ext}", base / "deactivate.d" / f"devdoctor.{ext}", ext)
        for ext in ("sh", "fish", "csh")
    ]


def primary_file(kind: str, location: Location, env: Mapping[str, str]) -> Path | None:
    """The file whose JSON comment says what devdoctor manages at this target."""
    if kind == "venv" and location.prefix:
        return location.prefix / "bin" / "activate"
    if kind == "conda" and location.prefix:
        return _conda_scripts(location.prefix)[0][0]
    if kind == "shell":
        return rc_file(env)[0]
    return None


def managed(kind: str, location: Location, env: Mapping[str, str]) -> list[EnvChange]:
    path = primary_file(kind, location, env)
    text = _read(path) if path else None
    return shells.load_meta(text) if text else []


# --- rendering a target's files for a complete set of changes -------------------------------


def _with_block_at_end(text: str, addition: str) -> str:
    if not addition:
        return text
    if text and not text.endswith("\n"):
        text += "\n"
    return text + addition


def _venv_sh(text: str, changes: Sequence[EnvChange]) -> str:
    body = shells.strip_blocks(text)
    head = "deactivate () {\n"
    if head not in body:
        raise PersistError("bin/activate has no `deactivate () {` to restore variables in")
    if changes:
        restore = shells.block(shells.sh_restore(changes), changes, "    ", meta=False)
        body = body.replace(head, head + restore, 1)
        body = _with_block_at_end(body, shells.block(shells.sh_set(changes), changes))
    return body


def _venv_fish(text: str, changes: Sequence[EnvChange]) -> str:
    body = shells.strip_blocks(text)
    lines = body.splitlines(keepends=True)
    at = next((i for i, line in enumerate(lines) if line.startswith("function deactivate")), None)
    if at is None:
        raise PersistError("bin/activate.fish has no `function deactivate` to restore in")
    if changes:
        restore = shells.block(shells.fish_restore(changes), changes, "    ", meta=False)
        lines.insert(at + 1, restore)
        body = _with_block_at_end("".join(lines), shells.block(shells.fish_set(changes), changes))
    return body


def _venv_csh(text: str, changes: Sequence[EnvChange]) -> str:
    alias = "alias deactivate '"
    old_inline = shells.csh_restore_inline(shells.load_meta(text))
    body = shells.strip_blocks(text).replace(alias + old_inline, alias, 1)
    if alias not in body:
        raise PersistError("bin/activate.csh has no `alias deactivate` to restore in")
    if changes:
        body = body.replace(alias, alias + shells.csh_restore_inline(changes), 1)
        body = _with_block_at_end(body, shells.block(shells.csh_set(changes), changes))
    return body


def render(
    kind: str, location: Location, env: Mapping[str, str], changes: Sequence[EnvChange]
) -> list[FileEdit]:
    """Edits that make the target hold exactly `changes` (none: devdoctor's blocks removed)."""
    out: list[FileEdit | None] = []
    # csh cannot quote some values (', !, newlines): its scripts then hold none of devdoctor's
    # variables rather than stop the fix for every other shell (plan says so).
    csh_changes = changes if csh_can_hold(changes) else []
    if kind == "venv" and location.prefix:
        bin_dir = location.prefix / "bin"
        for name, renderer, held in (
            ("activate", _venv_sh, changes),
            ("activate.fish", _venv_fish, changes),
            ("activate.csh", _venv_csh, csh_changes),
        ):
            text = _read(bin_dir / name)
            if text is not None:
                out.append(_edit(bin_dir / name, renderer(text, held)))
    elif kind == "conda" and location.prefix:
        dialects = {
            "sh": (shells.sh_set, shells.sh_restore),
            "fish": (shells.fish_set, shells.fish_restore),
            "csh": (shells.csh_set, lambda c: [shells.csh_restore_inline(c)]),
        }
        for activate, deactivate, ext in _conda_scripts(location.prefix):
            set_lines, restore_lines = dialects[ext]
            held = csh_changes if ext == "csh" else list(changes)
            out.append(_edit(activate, shells.block(set_lines(held), held) if held else None))
            out.append(
                _edit(
                    deactivate,
                    shells.block(restore_lines(held), held, meta=False) if held else None,
                )
            )
    elif kind == "shell":
        path, dialect = rc_file(env)
        set_lines = shells.fish_set if dialect == "fish" else shells.sh_set
        addition = shells.block(set_lines(changes, save=False), changes) if changes else ""
        out.append(
            _edit(path, _with_block_at_end(shells.strip_blocks(_read(path) or ""), addition))
        )
    return [edit for edit in out if edit is not None]


def csh_can_hold(changes: Sequence[EnvChange]) -> bool:
    try:
        shells.csh_set(changes)
    except ValueError:
        return False
    return True


def export_lines(changes: Sequence[EnvChange]) -> str:
    return "\n".join(shells.sh_set(changes, save=False))


def how_to_activate(kind: str, location: Location, env: Mapping[str, str]) -> str:
    if kind == "venv":
        return (
            f"re-activate the venv: deactivate; . {shlex.quote(f'{location.prefix}/bin/activate')}"
        )
    if kind == "conda":
        return f"re-activate the env: conda activate {shlex.quote(str(location.prefix))}"
    if kind == "shell":
        return f"open a new shell (or: . {shlex.quote(str(rc_file(env)[0]))})"
    return "run in your shell:"


def plan(
    new: Sequence[EnvChange], requested: str, location: Location, env: Mapping[str, str]
) -> Persisted:
    kind = resolve_kind(requested, location)
    for change in new:
        problem = change.problem()
        if problem:
            raise PersistError(problem)
    if kind == "print":
        return Persisted("", (), "run in your shell: " + "; ".join(export_lines(new).splitlines()))
    changes = merge(managed(kind, location, env), new)
    try:
        edits = render(kind, location, env, changes)
    except ValueError as exc:  # e.g. a value csh cannot quote
        raise PersistError(str(exc)) from None
    where = {
        "venv": f"venv {location.prefix}",
        "conda": f"conda env {location.prefix}",
        "shell": str(rc_file(env)[0]),
    }[kind]
    instructions = how_to_activate(kind, location, env)
    if kind in ("venv", "conda") and not csh_can_hold(changes):
        instructions += "\n(csh/tcsh: not set there; csh cannot quote the value)"
    if kind in ("venv", "conda") and location.prefix:
        exports = " ".join(shlex.quote(f"{c.name}={c.value}") for c in new if c.value)
        instructions += (
            f"\nprograms that start {location.prefix}/bin/python without activating it (an IDE "
            "run configuration, a Jupyter kernel, a cron job) do not see it: add "
            f"{exports or 'the change'} to their environment settings"
        )
    return Persisted(where, tuple(edits), instructions)


# --- what devdoctor has persisted, for rules that check it (DD102) -------------------------


@dataclass(frozen=True)
class Held:
    """The variables devdoctor manages at one target."""

    kind: str
    location: Location
    changes: tuple[EnvChange, ...]
    file: Path

    def rewritten(self, changes: Sequence[EnvChange], env: Mapping[str, str]) -> list[FileEdit]:
        return render(self.kind, self.location, env, changes)


def _classify(path: Path) -> tuple[str, Location] | None:
    if path.name.startswith("activate") and (path.parent.parent / "pyvenv.cfg").is_file():
        prefix = path.parent.parent
        return "venv", Location(None, prefix, "venv", "journal")
    if path.parent.name in ("activate.d", "deactivate.d") and path.parent.parent.name == "conda":
        prefix = path.parents[3]
        return "conda", Location(None, prefix, "conda", "journal")
    return None


def held(location: Location, env: Mapping[str, str], journaled: Sequence[Path]) -> list[Held]:
    """Targets that hold devdoctor-managed variables: the examined env, the rc file, and every
    file the journal says devdoctor wrote."""
    places: dict[tuple[str, str], Location] = {}
    if location.kind in ("venv", "conda") and location.prefix:
        places[(location.kind, str(location.prefix))] = location
    places[("shell", "")] = location
    for path in journaled:
        found = _classify(path)
        if found:
            places.setdefault((found[0], str(found[1].prefix)), found[1])
    out = []
    for (kind, _), loc in places.items():
        changes = managed(kind, loc, env)
        primary = primary_file(kind, loc, env)
        if changes and primary:
            out.append(Held(kind, loc, tuple(changes), primary))
    return out
