"""What is staged for the next commit, read from the index and the object store (never the
working tree, which may differ), with one `git ls-files` and one `git cat-file` per batch."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from devdoctor.core import git


@dataclass(frozen=True)
class StagedFile:
    path: str  # relative to the work tree
    mode: str  # 100644, 100755, 120000 (link), 160000 (gitlink)
    sha: str
    size: int


def _changed(repo: Path) -> list[tuple[str, str, str]]:
    """(path, mode, sha) of what the next commit adds or modifies, in one `git diff --cached
    --raw` (which compares with the empty tree before a first commit). Renames count as adds."""
    out = git.run_bytes(
        repo, "diff", "--cached", "--raw", "-z", "--no-renames", "--no-abbrev", "--diff-filter=ACM"
    )
    fields = out.split(b"\0")
    found = []
    for meta, path in zip(fields[0::2], fields[1::2], strict=False):
        _old_mode, mode, _old_sha, sha, _status = meta.decode().lstrip(":").split()
        found.append((os.fsdecode(path), mode, sha))
    return found


def _listed(repo: Path, paths: list[str]) -> list[tuple[str, str, str]]:
    """(path, mode, sha) of these paths' index entries (stage 0)."""
    out = git.run_bytes(repo, "ls-files", "-s", "-z", "--", *paths)
    found = []
    for record in filter(None, out.split(b"\0")):
        meta, _, path = record.partition(b"\t")
        mode, sha, stage = meta.decode().split()
        if stage == "0":
            found.append((os.fsdecode(path), mode, sha))
    return found


def entries(repo: Path, paths: Iterable[str] | None = None) -> list[StagedFile]:
    """Index entries for `paths` (None: what the next commit adds or modifies), with sizes."""
    found = _changed(repo) if paths is None else _listed(repo, list(paths)) if paths else []
    if not found:
        return []
    sizes = git.run_bytes(
        repo,
        "cat-file",
        "--batch-check=%(objectname) %(objectsize)",
        input="".join(f"{sha}\n" for _, mode, sha in found if mode != "160000").encode(),
    )
    size_of = dict(line.split() for line in sizes.decode().splitlines() if " " in line)
    return [StagedFile(path, mode, sha, int(size_of.get(sha, 0))) for path, mode, sha in found]


def read(repo: Path, shas: Sequence[str]) -> dict[str, bytes]:
    """Blob contents, all in one `git cat-file --batch`."""
    if not shas:
        return {}
    out = git.run_bytes(repo, "cat-file", "--batch", input="".join(f"{s}\n" for s in shas).encode())
    blobs: dict[str, bytes] = {}
    pos = 0
    while pos < len(out):
        header_end = out.index(b"\n", pos)
        header = out[pos:header_end].decode().split()
        if len(header) != 3:  # "<sha> missing"
            pos = header_end + 1
            continue
        sha, _kind, size = header
        start = header_end + 1
        blobs[sha] = out[start : start + int(size)]
        pos = start + int(size) + 1  # the content is followed by a newline
    return blobs
