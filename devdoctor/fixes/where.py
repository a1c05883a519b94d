"""Where an edit writes, and on what kind of file system: a fleet rollout applies a change to a
file on a shared file system once, not from every node at the same time."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from devdoctor.core.fix import Edit

# Network and cluster file systems, as /proc/self/mountinfo names them.
SHARED_FS = {
    "nfs",
    "nfs4",
    "lustre",
    "gpfs",
    "beegfs",
    "ceph",
    "cephfs",
    "fuse.ceph",
    "glusterfs",
    "fuse.glusterfs",
    "cifs",
    "smb3",
    "panfs",
    "wekafs",
    "fuse.sshfs",
    "9p",
}


def edit_target(edit: Edit) -> Path | None:
    """The file, link or environment the edit changes."""
    for name in ("path", "source"):
        value = getattr(edit, name, None)
        if isinstance(value, Path):
            return value
    python = getattr(edit, "python", None)  # a package edit: the environment's bin folder
    if isinstance(python, str) and python:
        return Path(python).parent
    return None


def _mounts(mountinfo: Path) -> list[tuple[str, str]]:
    """(mount point, fs type), longest mount point first."""
    found = []
    try:
        text = mountinfo.read_text()
    except OSError:
        return []
    for line in text.splitlines():
        left, sep, right = line.partition(" - ")
        fields = left.split()
        if not sep or len(fields) < 5 or not right:
            continue
        point = fields[4].replace("\\040", " ").replace("\\011", "\t").replace("\\134", "\\")
        found.append((point, right.split()[0]))
    return sorted(found, key=lambda m: len(m[0]), reverse=True)


def filesystem(path: Path, mountinfo: Path = Path("/proc/self/mountinfo")) -> dict[str, Any]:
    """The file system holding `path` (or its nearest existing parent): its type, whether it is
    shared between machines, and the device and inode (two nodes of one machine writing the
    same inode share it too)."""
    real = Path(os.path.realpath(path))
    probe = real
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    dev: int | None = None
    ino: int | None = None
    try:
        st = probe.stat()
        dev, ino = st.st_dev, st.st_ino
    except OSError:
        pass
    kind = next(
        (
            t
            for point, t in _mounts(mountinfo)
            if real == Path(point) or Path(point) in real.parents
        ),
        "",
    )
    return {"type": kind, "shared": kind in SHARED_FS, "dev": dev, "ino": ino}
