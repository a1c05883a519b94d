"""Apply edits as a transaction, journal every applied run, undo the last one, one at a time."""

from __future__ import annotations

import contextlib
import fcntl
import json
import math
import os
import re
import stat
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from devdoctor.core.fix import Conflict, Edit
from devdoctor.errors import DevdoctorError
from devdoctor.fixes.edits import edit_from_json, edit_to_json
from devdoctor.private import private_dir, write_private
from devdoctor.redact import Redactor

LOCK_WAIT = 60.0
RUN_ID = re.compile(r"\d{8}T\d{6}-[0-9a-f]{6}")
STATUSES = ("applying", "applied", "undone")
MAX_ENTRY = 256 << 20  # a journal entry holds whole files; anything bigger is not ours


class Busy(DevdoctorError):
    """Another devdoctor run is writing."""


@contextlib.contextmanager
def locked(state_dir: Path, wait: float = LOCK_WAIT) -> Iterator[None]:
    """Serialise runs that write: one `fix --apply` or `undo` at a time, across processes.
    Nothing is written without a journal, so a state dir that cannot be written refuses here."""
    try:
        private_dir(state_dir)
        fd = os.open(state_dir / "lock", os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise DevdoctorError(
            f"cannot write devdoctor's journal in {state_dir} ({exc.strerror or exc}): nothing "
            "was changed; set XDG_STATE_HOME (or DEVDOCTOR_STATE_DIR) to a writable folder"
        ) from None
    with os.fdopen(fd, "a+") as handle:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise Busy("another devdoctor fix or undo is running; try again") from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def conflicts(edits: Sequence[Edit]) -> list[str]:
    return [problem for edit in edits if (problem := edit.conflict())]


def apply_all(edits: Sequence[Edit]) -> list[Edit]:
    """Check every precondition, then apply in order; on failure put back what was written.
    Returns the edits as really done (a rewrite becomes the branch move it made)."""
    problems = conflicts(edits)
    if problems:
        raise Conflict("; ".join(problems))
    done: list[Edit] = []
    try:
        for edit in edits:
            done.append(edit.apply() or edit)
    except BaseException:
        for applied in reversed(done):
            applied.inverse().apply()
        raise
    return done


@dataclass(frozen=True)
class Run:
    id: str
    created: float
    status: str  # applying | applied | undone
    fixes: tuple[str, ...]  # "DD302 Remove the stale lock", for humans
    edits: tuple[Edit, ...]
    # A fleet rollout's id and the node that applied it: `undo --fleet-run` undoes exactly
    # this node's part (a journal on a shared home holds every node's runs).
    fleet: str = ""
    node: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "created": self.created,
            "status": self.status,
            "fixes": [Redactor().text(title) for title in self.fixes],  # for humans only
            "edits": [edit_to_json(e) for e in self.edits],
            **({"fleet": self.fleet, "node": self.node} if self.fleet else {}),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Run:
        """A run read back from disk, every field checked (ValueError when one is wrong)."""
        created = float(data["created"])
        if not math.isfinite(created) or not RUN_ID.fullmatch(str(data["id"])):
            raise ValueError("journal entry: bad id or creation time")
        if data["status"] not in STATUSES or not isinstance(data["fixes"], list):
            raise ValueError("journal entry: bad status or fixes")
        return cls(
            str(data["id"]),
            created,
            str(data["status"]),
            tuple(str(title) for title in data["fixes"]),
            tuple(edit_from_json(e) for e in data["edits"]),
            str(data.get("fleet", "")),
            str(data.get("node", "")),
        )


class Journal:
    def __init__(self, state_dir: Path) -> None:
        self.dir = state_dir / "journal"

    def _path(self, run: Run) -> Path:
        return self.dir / f"{run.id}.json"

    def save(self, run: Run) -> Run:
        write_private(self._path(run), json.dumps(run.to_json(), indent=1).encode())
        return run

    def begin(
        self,
        fixes: Sequence[str],
        edits: Sequence[Edit],
        now: float,
        fleet: tuple[str, str] = ("", ""),
    ) -> Run:
        """Written before the first edit, so a run killed half-way can still be undone."""
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now))
        import uuid  # ~2 ms (it imports platform): only when a run is journaled

        run_id = f"{stamp}-{uuid.uuid4().hex[:6]}"
        return self.save(Run(run_id, now, "applying", tuple(fixes), tuple(edits), *fleet))

    def mark(self, run: Run, status: str) -> Run:
        return self.save(replace(run, status=status))

    def runs(self) -> list[Run]:
        """Newest first. Only entries devdoctor can have written count: regular files named
        after their run, owned by this user and writable by nobody else; anything else (and
        anything unreadable) is skipped, never fatal."""
        found = []
        for path in self._entries():
            try:
                run = Run.from_json(json.loads(path.read_text()))
            except (OSError, ValueError, KeyError, TypeError, AttributeError):
                continue
            if path.name == f"{run.id}.json":
                found.append(run)
        # By creation time, not by name: two runs can start within the same second.
        return sorted(found, key=lambda run: (run.created, run.id), reverse=True)

    def _entries(self) -> list[Path]:
        try:
            listing = list(os.scandir(self.dir))
        except OSError:
            return []
        entries = []
        for entry in listing:
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if (
                entry.name.endswith(".json")
                and stat.S_ISREG(st.st_mode)  # a FIFO would hang the read
                and st.st_uid == os.getuid()
                and not st.st_mode & 0o022
                and st.st_size < MAX_ENTRY
            ):
                entries.append(Path(entry.path))
        return entries

    def sweep(self) -> list[Path]:
        """Remove the temporary files a killed run left next to the files it was writing (call
        it holding the lock: then no devdoctor is writing them)."""
        from devdoctor.fixes.edits import FileEdit

        folders = {self.dir} | {
            e.path.parent for run in self.runs() for e in run.edits if isinstance(e, FileEdit)
        }
        removed = []
        for folder in folders:
            for leftover in folder.glob(".*.devdoctor-tmp") if folder.is_dir() else []:
                with contextlib.suppress(OSError):
                    leftover.unlink()
                    removed.append(leftover)
        return removed

    def last_undoable(self) -> Run | None:
        return next((r for r in self.runs() if r.status in ("applying", "applied")), None)


def undo_edits(run: Run) -> tuple[list[Edit], list[tuple[Edit, str]]]:
    """The inverse edits still to apply, and the edits whose files changed since (with diffs)."""
    to_apply: list[Edit] = []
    changed: list[tuple[Edit, str]] = []
    for edit in reversed(run.edits):
        inverse = edit.inverse()
        if inverse.conflict() is None:
            to_apply.append(inverse)
        elif edit.conflict() is None:
            continue  # never applied: the run was cut off before this edit
        else:
            changed.append((edit, _drift(edit)))
    return to_apply, changed


def _drift(edit: Edit) -> str:
    """How the file differs now from what devdoctor left there."""
    from devdoctor.fixes.edits import FileEdit, unified_diff

    if isinstance(edit, FileEdit):
        try:
            now: bytes | None = edit.path.read_bytes()
        except FileNotFoundError:
            now = None
        return unified_diff(str(edit.path), edit.after, now)
    drift = getattr(edit, "drift", None)  # an edit kind may say better what changed
    return str(drift()) if callable(drift) else edit.describe()


def written_files(state_dir: Path) -> list[Path]:
    """Files that applied (not undone) runs wrote."""
    from devdoctor.fixes.edits import FileEdit

    return sorted(
        {
            e.path
            for run in Journal(state_dir).runs()
            if run.status != "undone"
            for e in run.edits
            if isinstance(e, FileEdit) and e.after is not None
        }
    )
