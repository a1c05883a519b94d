"""What is staged for the next commit, read from the index and the object store (never the
working tree, which may differ), with one `git ls-files` and one `git cat-file` per batch."""

from __future__ import annotations

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


def changed_paths(repo: Path) -> list[str]:
    """Paths added, copied, modified or renamed in the index against HEAD (all, before a first
    commit)."""
    if git.succeeds(repo, "rev-parse", "--verify", "--quiet", "HEAD"):
        out = git.run_bytes(
            repo, "diff", "--cached", "--name-only", "-z", "--diff-filter=ACMR", "HEAD"
        )
    else:  # before the first commit, everything in the index is new
        out = git.run_bytes(repo, "ls-files", "-z")
    return [p.decode() for p in out.split(b"\0") if p]


def entries(repo: Path, paths: Iterable[str] | None = None) -> list[StagedFile]:
    """Index entries (stage 0) for `paths` (None: what the next commit changes)."""
    wanted = changed_paths(repo) if paths is None else list(paths)
    if not wanted:
        return []
    out = git.run_bytes(repo, "ls-files", "-s", "-z", "--", *wanted)
    found = []
    for record in filter(None, out.split(b"\0")):
        meta, _, path = record.partition(b"\t")
        mode, sha, stage = meta.decode().split()
        if stage == "0":
            found.append((path.decode(), mode, sha))
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
