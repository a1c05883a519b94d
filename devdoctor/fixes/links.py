"""A symbolic link devdoctor owns (a `libcuda.so` next to nothing else): created in a folder of
its own, and undone by removing the link and the folder it made."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from devdoctor.fixes.edits import journal_path


def _target(path: Path) -> str | None:
    """Where the link points, or None when there is nothing there; a file that is not a link
    reads as itself so that it is never taken for ours."""
    try:
        return os.readlink(path)
    except FileNotFoundError:
        return None
    except OSError:
        return f"(not a link: {path})"


@dataclass(frozen=True)
class LinkEdit:
    """Turn `path` from a link to `before` (None: absent) into a link to `after` (None: gone)."""

    kind: ClassVar[str] = "link"
    path: Path
    before: str | None
    after: str | None

    def describe(self) -> str:
        if self.after is None:
            return f"remove the link {self.path}"
        return f"link {self.path} -> {self.after}"

    def preview(self) -> str:
        return f"{self.path}: {self.before or '(absent)'} -> {self.after or '(absent)'}\n"

    def conflict(self) -> str | None:
        now = _target(self.path)
        if now == self.before:
            return None
        return f"{self.path} is {'absent' if now is None else now} now, not {self.before}"

    def apply(self) -> None:
        if self.path.is_symlink():
            self.path.unlink()
        if self.after is None:
            with contextlib.suppress(OSError):  # the folder is devdoctor's: gone once empty
                self.path.parent.rmdir()
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(self.after, self.path)

    def inverse(self) -> LinkEdit:
        return LinkEdit(self.path, self.after, self.before)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "path": str(self.path),
            "before": self.before,
            "after": self.after,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LinkEdit:
        def target(value: Any) -> str | None:
            return None if value is None else str(journal_path(value, "link target"))

        return cls(journal_path(data["path"]), target(data["before"]), target(data["after"]))


@dataclass(frozen=True)
class MoveEdit:
    """Move a file or folder aside (into a folder devdoctor owns, on the same file system, so
    the move is one rename); undone by moving it back."""

    kind: ClassVar[str] = "move"
    source: Path
    target: Path

    def describe(self) -> str:
        return f"move {self.source} to {self.target}"

    def preview(self) -> str:
        return f"{self.source} -> {self.target}\n"

    def conflict(self) -> str | None:
        if not os.path.lexists(self.source):
            return f"{self.source} is gone"
        if os.path.lexists(self.target):
            return f"{self.target} exists already"
        return None

    def apply(self) -> None:
        self.target.parent.mkdir(parents=True, exist_ok=True)
        os.rename(self.source, self.target)
        if self.source.parent.name.startswith(".devdoctor"):  # ours: gone once empty
            with contextlib.suppress(OSError):
                self.source.parent.rmdir()

    def inverse(self) -> MoveEdit:
        return MoveEdit(self.target, self.source)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "source": str(self.source), "target": str(self.target)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MoveEdit:
        return cls(journal_path(data["source"]), journal_path(data["target"]))
