"""Replace Git LFS pointer files by their content (`git lfs pull` for those paths); undone by
writing the pointers back, byte for byte (they are kept in the journal: a few hundred bytes)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from devdoctor.api import EditFailed, git, journal_path

POINTER = b"version https://git-lfs.github.com/spec/v1"


def is_pointer(path: Path) -> bool:
    try:
        if path.stat().st_size > 1024:
            return False
        with open(path, "rb") as f:
            return f.read(len(POINTER)) == POINTER
    except OSError:
        return False


@dataclass(frozen=True)
class LfsPull:
    kind: ClassVar[str] = "lfs-pull"
    repo: Path
    pointers: tuple[tuple[str, bytes], ...]  # (path, pointer text)
    pull: bool = True  # False: write the pointers back

    def describe(self) -> str:
        paths = " ".join(p for p, _ in self.pointers)
        return f"run git lfs pull --include {paths}" if self.pull else "write the pointers back"

    def preview(self) -> str:
        change = "pointer -> content" if self.pull else "content -> pointer"
        return "".join(f"{p}: {change}\n" for p, _ in self.pointers)

    def conflict(self) -> str | None:
        for path, text in self.pointers:
            now = (self.repo / path).read_bytes() if (self.repo / path).is_file() else None
            if self.pull and now != text:
                return f"{path} changed since it was checked"
        return None

    def apply(self) -> None:
        if not self.pull:
            for path, text in self.pointers:
                (self.repo / path).write_bytes(text)
            git.run(self.repo, "add", "--renormalize", "--", *(p for p, _ in self.pointers))
            return
        git.run(self.repo, "lfs", "install", "--local")
        git.run(self.repo, "lfs", "pull", "--include", ",".join(p for p, _ in self.pointers))
        left = [p for p, _ in self.pointers if is_pointer(self.repo / p)]
        if left:
            raise EditFailed(f"git lfs pull left pointers in {', '.join(left)}")

    def inverse(self) -> LfsPull:
        return LfsPull(self.repo, self.pointers, not self.pull)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "repo": str(self.repo),
            "pull": self.pull,
            "pointers": [[p, base64.b64encode(t).decode()] for p, t in self.pointers],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LfsPull:
        pointers = tuple(
            (str(p), base64.b64decode(t, validate=True))
            for p, t in data["pointers"]
            if isinstance(p, str) and ".." not in p
        )
        return cls(journal_path(data["repo"], "repository"), pointers, bool(data["pull"]))
