"""Files devdoctor keeps for itself (journal, logs, caches): owner-only, written atomically.
Whatever they hold passed the redactor first, except what undo needs byte for byte."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def private_dir(path: Path) -> Path:
    """The folder, each missing level created 0700 (existing ones are the user's to set)."""
    missing = []
    for folder in (path, *path.parents):
        if folder.exists():
            break
        missing.append(folder)
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another run made it meanwhile
            folder.mkdir(mode=0o700)
    return path


def write_private(path: Path, data: bytes) -> None:
    """Replace the file atomically with `data`, mode 0600: a kill never leaves half a file."""
    private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.devdoctor-tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def append_private(path: Path, text: str) -> None:
    """Append to a 0600 file (an older, wider file is narrowed)."""
    private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as f:
        if os.fstat(f.fileno()).st_mode & 0o077:
            os.fchmod(f.fileno(), 0o600)
        f.write(text)
