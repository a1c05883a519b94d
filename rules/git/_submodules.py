"""Initialise submodules (`git submodule update --init --recursive`, from the URLs the
repository declares); undone by `git submodule deinit -f`, which empties their folders again."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from devdoctor.api import git, journal_path


@dataclass(frozen=True)
class SubmoduleEdit:
    kind: ClassVar[str] = "submodules"
    repo: Path
    paths: tuple[str, ...]
    init: bool = True  # False: deinit

    def describe(self) -> str:
        action = "update --init --recursive" if self.init else "deinit -f"
        return f"run git submodule {action} -- {' '.join(self.paths)}"

    def preview(self) -> str:
        return "".join(
            f"{p}: {'(empty) -> checked out' if self.init else 'checked out -> (empty)'}\n"
            for p in self.paths
        )

    def conflict(self) -> str | None:
        return None

    def apply(self) -> None:
        if self.init:
            git.run(self.repo, "submodule", "update", "--init", "--recursive", "--", *self.paths)
        else:
            git.run(self.repo, "submodule", "deinit", "-f", "--", *self.paths)

    def inverse(self) -> SubmoduleEdit:
        return SubmoduleEdit(self.repo, self.paths, not self.init)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "repo": str(self.repo),
            "paths": list(self.paths),
            "init": self.init,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SubmoduleEdit:
        paths = tuple(str(p) for p in data["paths"] if isinstance(p, str) and ".." not in p)
        return cls(journal_path(data["repo"], "repository"), paths, bool(data.get("init", True)))
