"""Facts about the examined environment and repository: lazy, cached, injectable in tests."""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devdoctor import target as target_mod
from devdoctor.config import Config


@dataclass(frozen=True)
class ProcessInfo:
    pid: int
    name: str
    cwd: str | None  # None when it cannot be read (another user's process)
    cmdline: tuple[str, ...] = ()


def system_processes() -> list[ProcessInfo]:
    import psutil

    found = []
    for proc in psutil.process_iter(["pid", "name", "cwd", "cmdline"]):
        info = proc.info
        found.append(
            ProcessInfo(info["pid"], info["name"] or "", info["cwd"], tuple(info["cmdline"] or ()))
        )
    return found


def find_git_dir(start: Path, env: Mapping[str, str]) -> tuple[Path, Path] | None:
    """(work tree, git dir) for `start`, like `git rev-parse`, without starting git."""
    if env.get("GIT_DIR"):
        git_dir = (start / env["GIT_DIR"]).resolve()
        return (Path(env.get("GIT_WORK_TREE", start)).resolve(), git_dir)
    for folder in (start, *start.parents):
        dot_git = folder / ".git"
        if dot_git.is_dir():
            return folder, dot_git
        if dot_git.is_file():  # worktrees and submodules: "gitdir: <path>"
            text = dot_git.read_text(errors="replace").strip()
            if text.startswith("gitdir:"):
                return folder, (folder / text[len("gitdir:") :].strip()).resolve()
    return None


@dataclass
class Context:
    cwd: Path
    env: Mapping[str, str]
    config: Config = field(default_factory=Config)
    python: str | None = None  # --python
    processes: Callable[[], list[ProcessInfo]] = system_processes
    clock: Callable[[], float] = time.time
    state_dir: Path | None = None
    cache_dir: Path | None = None  # devdoctor's caches (None: no cache, as in most tests)
    options: Mapping[str, Any] = field(default_factory=dict)  # `fix` flags for rules (message, ...)
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)
    _locks: dict[str, threading.Lock] = field(default_factory=dict, repr=False)
    _guard: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _cached(self, key: str, compute: Callable[[], Any]) -> Any:
        """Compute each fact once per run; rules in other threads wait only for the same fact."""
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._cache:
                self._cache[key] = compute()
            return self._cache[key]

    @property
    def location(self) -> target_mod.Location:
        loc: target_mod.Location = self._cached(
            "location", lambda: target_mod.locate(self.python, self.env)
        )
        return loc

    def target(self) -> dict[str, Any]:
        """Facts from the target interpreter (one child process per run). Raises TargetError."""

        def compute() -> dict[str, Any] | target_mod.TargetError:
            python = self.location.python
            if python is None:
                return target_mod.TargetError("no Python interpreter found for the target")
            try:
                return target_mod.probe(python, self.env)
            except target_mod.TargetError as exc:
                return exc

        facts = self._cached("target", compute)
        if isinstance(facts, target_mod.TargetError):
            raise facts
        return dict(facts)

    def target_if_known(self) -> dict[str, Any] | None:
        facts = self._cache.get("target")
        return facts if isinstance(facts, dict) else None

    def libraries(self) -> list[Any]:
        """Every shared library in the target's site-packages, with its TLS facts
        (libscan.Library). Raises TargetError when the target cannot be asked."""
        from devdoctor import libscan

        roots = self.target().get("site_packages", [])
        cache = self.cache_dir / "static-tls.json" if self.cache_dir else None
        found: list[Any] = self._cached("libraries", lambda: libscan.scan(roots, cache))
        return found

    def staged(self) -> list[Any]:
        """Files the next commit changes (or the files the hook was given), from the index:
        staged.StagedFile with path, mode, sha and size. Empty outside a repository."""
        from devdoctor import staged

        def compute() -> list[Any]:
            repo = self.repo()
            if repo is None:
                return []
            files = self.options.get("files")
            return staged.entries(repo[0], files if files else None)

        found: list[Any] = self._cached("staged", compute)
        return found

    def staged_content(self, files: list[Any]) -> dict[str, bytes]:
        """The staged bytes of these files, by blob sha (one git process)."""
        from devdoctor import staged

        repo = self.repo()
        return staged.read(repo[0], [f.sha for f in files]) if repo else {}

    def repo(self) -> tuple[Path, Path] | None:
        """(work tree, git dir) of the repository the user stands in, if any."""
        found: tuple[Path, Path] | None = self._cached(
            "repo", lambda: find_git_dir(self.cwd, self.env)
        )
        return found

    def persisted_env(self) -> list[Any]:
        """What devdoctor persisted (persist.Held): the target, the rc file, journaled files."""
        from devdoctor import journal, persist

        files = journal.written_files(self.state_dir) if self.state_dir else []
        return list(persist.held(self.location, self.env, files))

    def with_env(self, env: Mapping[str, str]) -> Context:
        """The same context seen from a shell whose environment is `env` (facts not cached)."""
        return dataclasses.replace(self, env=dict(env), _cache={}, _locks={})


def default_context(
    config: Config, python: str | None = None, options: Mapping[str, Any] | None = None
) -> Context:
    from devdoctor import paths

    return Context(
        Path.cwd(),
        dict(os.environ),
        config,
        python,
        state_dir=paths.state_dir(),
        cache_dir=paths.cache_dir(),
        options=dict(options or {}),
    )
