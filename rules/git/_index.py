"""Refresh the index's record of files whose working-tree bytes changed but whose content (after
git's line-ending conversion) is the same blob: `git add --renormalize` restricted to them,
refused if any blob would change. Nothing to undo: the index holds the same content after."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from devdoctor.api import EditFailed, git, journal_path


@dataclass(frozen=True)
class IndexRefresh:
    kind: ClassVar[str] = "index-refresh"
    repo: Path
    paths: tuple[str, ...]

    def _blobs(self) -> str:
        return git.run(self.repo, "ls-files", "-s", "--", *self.paths)

    def describe(self) -> str:
        return f"refresh the index for {len(self.paths)} files (same content)"

    def preview(self) -> str:
        return self.describe() + "\n"

    def conflict(self) -> str | None:
        return None

    def apply(self) -> None:
        before = self._blobs()
        git.run(self.repo, "add", "--renormalize", "--", *self.paths)
        if self._blobs() != before:
            git.run(self.repo, "reset", "-q", "--", *self.paths)
            raise EditFailed("the index content would change: left as it was")

    def inverse(self) -> IndexRefresh:
        return self  # the same blobs: refreshing again is all there is

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "repo": str(self.repo), "paths": list(self.paths)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> IndexRefresh:
        paths = tuple(str(p) for p in data["paths"] if isinstance(p, str) and ".." not in p)
        return cls(journal_path(data["repo"], "repository"), paths)
