"""The edit kinds devdoctor applies itself: file contents and package versions. Each holds the
state it expects (`before`) and the state it leaves (`after`)."""

from __future__ import annotations

import base64
import importlib
import os
import re
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from devdoctor.core.fix import Edit, EditFailed

# Journal entries are data read back from disk: every field is checked before an edit is built
# from it, so a hand-written entry cannot aim undo at something devdoctor never wrote.
SHA = r"[0-9a-f]{40}"
BRANCH_REF = r"refs/heads/[^\s\x00-\x1f~^:?*\[\\]{1,255}"
DISTRIBUTION = r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}"
VERSION = r"[A-Za-z0-9.!+_-]{1,64}"
INDEX_URL = re.compile(
    r"https://[A-Za-z0-9.-]{1,253}(?::[0-9]{1,5})?(?:/[A-Za-z0-9._~%+-]{0,128}){0,16}"
)


def journal_field(value: Any, pattern: str, what: str) -> str:
    if not isinstance(value, str) or not re.fullmatch(pattern, value) or ".." in value:
        raise ValueError(f"journal entry: bad {what} {value!r}")
    return value


def journal_path(value: Any, what: str = "path") -> Path:
    """An absolute path without `..`, as devdoctor records them."""
    path = Path(journal_field(value, r"/[^\x00]{0,4095}", what))
    return path


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return None


def _text(data: bytes | None) -> list[str]:
    if data is None:
        return []
    return data.decode("utf-8", "replace").splitlines(keepends=True)


def unified_diff(path: str, before: bytes | None, after: bytes | None) -> str:
    if b"\0" in (before or b"") + (after or b""):
        old = "absent" if before is None else f"{len(before)} bytes"
        new = "absent" if after is None else f"{len(after)} bytes"
        return f"Binary file {path}: {old} -> {new}\n"
    import difflib  # loaded for previews only

    lines = difflib.unified_diff(
        _text(before),
        _text(after),
        fromfile="/dev/null" if before is None else f"a{path}",
        tofile="/dev/null" if after is None else f"b{path}",
    )
    return "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    )


def atomic_write(path: Path, data: bytes) -> None:
    """Write via a temp file in the same directory and rename: a kill never leaves half a file."""
    try:
        st: os.stat_result | None = path.stat()
    except FileNotFoundError:
        st = None
    import tempfile  # loaded for writes only

    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".devdoctor-tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if st is not None:
            os.chmod(tmp, st.st_mode & 0o7777)
            if hasattr(os, "chown") and os.geteuid() == 0:
                os.chown(tmp, st.st_uid, st.st_gid)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class FileEdit:
    """Turn a file's content `before` (None: absent) into `after` (None: removed)."""

    kind: ClassVar[str] = "file"
    path: Path
    before: bytes | None
    after: bytes | None

    @classmethod
    def write(cls, path: str | os.PathLike[str], after: bytes | str | None) -> FileEdit:
        """An edit from the file's current state; symlinks are followed so a link stays a link."""
        real = Path(os.path.realpath(path))
        data = after.encode() if isinstance(after, str) else after
        return cls(real, _read(real), data)

    def describe(self) -> str:
        if self.before is None:
            return f"create {self.path}"
        if self.after is None:
            return f"remove {self.path}"
        return f"edit {self.path}"

    def preview(self) -> str:
        return unified_diff(str(self.path), self.before, self.after)

    def conflict(self) -> str | None:
        now = _read(self.path)
        if now == self.before:
            return None
        if now is None:
            return f"{self.path} was removed since it was checked"
        if self.before is None:
            return f"{self.path} was created since it was checked"
        return f"{self.path} changed since it was checked"

    def apply(self) -> None:
        if self.after is None:
            self.path.unlink(missing_ok=True)
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(self.path, self.after)

    def inverse(self) -> FileEdit:
        return FileEdit(self.path, self.after, self.before)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "path": str(self.path),
            "before": _b64(self.before),
            "after": _b64(self.after),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FileEdit:
        return cls(journal_path(data["path"]), _unb64(data["before"]), _unb64(data["after"]))


def _b64(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(data).decode()


def _unb64(text: Any) -> bytes | None:
    if text is None:
        return None
    if not isinstance(text, str):
        raise ValueError("journal entry: content is not base64 text")
    return base64.b64decode(text, validate=True)


_NAMES = (  # PEP 503 names: an upgrade that respells its name is not a new package
    "import importlib.metadata as m, re\n"
    "print(' '.join(sorted({re.sub(r'[-_.]+', '-', d.metadata['Name'] or '').lower() "
    "for d in m.distributions()})))"
)
_VERSION = (
    "import importlib.metadata as m, sys\ntry:\n    print(m.version(sys.argv[1]))\n"
    "except m.PackageNotFoundError:\n    print('')"
)


@dataclass(frozen=True)
class PackageEdit:
    """Install a package version with the target interpreter's pip. Undone by reinstalling the
    version that was there. `before` None: any version; `after` None: the newest release."""

    kind: ClassVar[str] = "package"
    python: str
    name: str
    before: str | None
    after: str | None
    pulled_in: tuple[str, ...] = ()  # what installing it added; undo says they remain
    index_url: str = ""  # an extra index (PyTorch's builds per CUDA flavour live there)
    spec: str = ""  # a version range to install instead of `after` ("<0.26"); `after` is then
    # what it installed, for the journal

    def installed(self) -> str | None:
        out = subprocess.run(
            [self.python, "-c", _VERSION, self.name],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        ).stdout.strip()
        return out or None

    def command(self) -> list[str]:
        if self.spec:
            spec = f"{self.name}{self.spec}"
        else:
            spec = f"{self.name}=={self.after}" if self.after else self.name
        index = ["--extra-index-url", self.index_url] if self.index_url else []
        return [self.python, "-m", "pip", "install", *([] if self.after else ["-U"]), *index, spec]

    def describe(self) -> str:
        text = "run " + shlex.join(self.command())
        if self.pulled_in:
            left = shlex.join([self.python, "-m", "pip", "uninstall", "-y", *self.pulled_in])
            text += f" (the upgrade also installed {', '.join(self.pulled_in)}: {left})"
        return text

    def preview(self) -> str:
        after = (self.spec and f"the newest {self.spec}") or self.after or "the newest release"
        return f"{self.name}: {self.before or 'any version'} -> {after}\n"

    def conflict(self) -> str | None:
        if self.before is None:
            return None
        now = self.installed()
        return (
            None
            if now == self.before
            else f"{self.name} is {now or 'not installed'} now, not {self.before}"
        )

    def distributions(self) -> set[str]:
        out = subprocess.run(
            [self.python, "-c", _NAMES],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        ).stdout
        return set(out.split())

    def apply(self) -> PackageEdit:
        """Returns itself with the distributions the install added (undo names them)."""
        had = self.distributions()
        proc = subprocess.run(
            self.command(), capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL
        )
        if proc.returncode != 0:
            last = (proc.stderr.strip().splitlines() or ["pip failed"])[-1]
            raise EditFailed(f"{shlex.join(self.command())}: {last}")
        own = re.sub(r"[-_.]+", "-", self.name).lower()
        added = tuple(sorted(self.distributions() - had - {own}))
        after = self.installed() if self.spec else self.after
        return PackageEdit(self.python, self.name, self.before, after, added, self.index_url)

    def inverse(self) -> PackageEdit:
        return PackageEdit(
            self.python, self.name, None, self.before, self.pulled_in, self.index_url
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "python": self.python,
            "name": self.name,
            "before": self.before,
            "after": self.after,
            "pulled_in": list(self.pulled_in),
            "index_url": self.index_url,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PackageEdit:
        def version(value: Any) -> str | None:
            return None if value is None else journal_field(value, VERSION, "version")

        python = journal_path(data["python"], "interpreter")
        if not python.name.startswith("python"):
            raise ValueError(f"journal entry: {python} is not a Python interpreter")
        name = journal_field(data["name"], DISTRIBUTION, "distribution")
        pulled = tuple(
            journal_field(n, DISTRIBUTION, "distribution") for n in data.get("pulled_in", [])
        )
        index = str(data.get("index_url") or "")
        if index and not INDEX_URL.fullmatch(index):
            raise ValueError(f"journal entry: {index!r} is not an https index URL")
        return cls(
            str(python), name, version(data["before"]), version(data["after"]), pulled, index
        )


# Journals name each edit's class; only devdoctor's own modules may be imported from one.
BUILTIN_KINDS = {
    "file": "devdoctor.fixes.edits:FileEdit",
    "link": "devdoctor.fixes.links:LinkEdit",
    "move": "devdoctor.fixes.links:MoveEdit",
    "package": "devdoctor.fixes.edits:PackageEdit",
    "package-swap": "devdoctor.fixes.swap:PackageSwap",
    "package-add": "devdoctor.fixes.swap:PackageAdd",
    "package-remove": "devdoctor.fixes.swap:PackageRemove",
    "ref": "devdoctor.rules.git._history:RefEdit",
    "rewrite": "devdoctor.rules.git._history:RewriteEdit",
}


def type_name(edit: Edit) -> str:
    return f"{type(edit).__module__}:{type(edit).__qualname__}"


def edit_to_json(edit: Edit) -> dict[str, Any]:
    return {**edit.to_json(), "type": type_name(edit)}


def edit_from_json(data: dict[str, Any]) -> Edit:
    """The edit a journal entry describes. Its class is found by the entry's `type`
    (module:Class), restricted to devdoctor's own modules, and must declare the entry's kind."""
    kind = data.get("kind", "")
    where = data.get("type") or BUILTIN_KINDS.get(kind, "")
    module, _, name = str(where).partition(":")
    if not module.startswith("devdoctor.") or not name:
        raise ValueError(f"unknown edit kind {kind!r}")
    cls = getattr(importlib.import_module(module), name, None)
    if cls is None or getattr(cls, "kind", None) != kind or not hasattr(cls, "from_json"):
        raise ValueError(f"unknown edit kind {kind!r} ({where})")
    edit: Edit = cls.from_json(data)
    return edit
