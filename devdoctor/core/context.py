"""Facts about the examined environment and repository: lazy, cached, injectable in tests.

Family-specific facts (the libraries' TLS, what devdoctor persisted) are computed by the family's
helpers and cached here with `memo`, so this module knows no family.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

from devdoctor.core import target as target_mod
from devdoctor.core.config import Config
from devdoctor.core.staged import StagedFile

T = TypeVar("T")


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


def processes_holding(path: str) -> list[int]:
    """The pids of processes that have this file open (what lsof would say)."""
    import psutil

    found = []
    for proc in psutil.process_iter(["pid"]):
        try:
            if any(f.path == path for f in proc.open_files()):
                found.append(proc.info["pid"])
        except (psutil.Error, OSError):
            continue  # gone, or another user's
    return found


@dataclass(frozen=True)
class Repository:
    """The git repository the user stands in."""

    work_tree: Path
    git_dir: Path


def find_git_dir(start: Path, env: Mapping[str, str]) -> Repository | None:
    """The repository for `start`, like `git rev-parse`, without starting git."""
    if env.get("GIT_DIR"):
        git_dir = (start / env["GIT_DIR"]).resolve()
        return Repository(Path(env.get("GIT_WORK_TREE", start)).resolve(), git_dir)
    for folder in (start, *start.parents):
        dot_git = folder / ".git"
        if dot_git.is_dir():
            return Repository(folder, dot_git)
        if dot_git.is_file():  # worktrees and submodules: "gitdir: <path>"
            text = dot_git.read_text(errors="replace").strip()
            if text.startswith("gitdir:"):
                return Repository(folder, (folder / text[len("gitdir:") :].strip()).resolve())
    return None


@dataclass
class Context:
    cwd: Path
    env: Mapping[str, str]
    config: Config = field(default_factory=Config)
    python: str | None = None  # --python
    processes: Callable[[], list[ProcessInfo]] = system_processes
    holders: Callable[[str], list[int]] = processes_holding  # pids with a file open
    clock: Callable[[], float] = time.time
    state_dir: Path | None = None
    cache_dir: Path | None = None  # devdoctor's caches (None: no cache, as in most tests)
    # In a git hook the staged blobs are what matters, not the files on disk; hook_files are the
    # files the hook was given (empty: everything staged).
    # What the target interpreter would say about itself, when it cannot be asked here (an
    # aarch64 sysroot examined from x86_64, in tests); None: the probe asks it.
    target_facts: target_mod.TargetFacts | None = None
    in_hook: bool = False
    hook_files: tuple[str, ...] = ()
    offline: bool = False  # --offline: rules that contact servers are skipped
    # What a slow rule is doing now ("probing https://huggingface.co"), for the spinner.
    progress: Callable[[str], None] = field(default=lambda text: None, repr=False)
    # `devdoctor fix` flags declared by rules (Rule.fix_options), by field name.
    fix_option_values: Mapping[str, Any] = field(default_factory=dict)
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)
    _locks: dict[str, threading.Lock] = field(default_factory=dict, repr=False)
    _guard: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def memo(self, key: str, compute: Callable[[], T]) -> T:
        """Compute a fact once per run; rules in other threads wait only for the same fact."""
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._cache:
                self._cache[key] = compute()
            return cast(T, self._cache[key])

    def system_path(self, path: str) -> Path:
        """A system file (/proc/..., /dev/...) under the configured system root."""
        return Path(self.config.system_root) / path.lstrip("/")

    @property
    def location(self) -> target_mod.Location:
        return self.memo("location", lambda: target_mod.locate(self.python, self.env))

    def target(self) -> target_mod.TargetFacts:
        """Facts from the target interpreter (one child process per run). Raises TargetError."""

        def compute() -> target_mod.TargetFacts | target_mod.TargetError:
            if self.target_facts is not None:
                return self.target_facts
            python = self.location.python
            if python is None:
                return target_mod.TargetError("no Python interpreter found for the target")
            from devdoctor.core import target_cache

            cache = self.cache_dir / "target.json" if self.cache_dir else None
            try:
                return target_cache.probe(python, self.env, cache)
            except target_mod.TargetError as exc:
                return exc

        facts = self.memo("target", compute)
        if isinstance(facts, target_mod.TargetError):
            raise facts
        return facts

    def target_if_known(self) -> target_mod.TargetFacts | None:
        facts = self._cache.get("target")
        return facts if isinstance(facts, target_mod.TargetFacts) else None

    def repo(self) -> Repository | None:
        """The repository the user stands in, if any."""
        return self.memo("repo", lambda: find_git_dir(self.cwd, self.env))

    def staged(self) -> list[StagedFile]:
        """Files the next commit changes (or the files the hook was given), from the index.
        Empty outside a repository."""
        from devdoctor.core import staged

        def compute() -> list[StagedFile]:
            repo = self.repo()
            if repo is None:
                return []
            return staged.entries(repo.work_tree, self.hook_files or None)

        return self.memo("staged", compute)

    def staged_content(self, files: list[StagedFile]) -> dict[str, bytes]:
        """The staged bytes of these files, by blob sha (one git process)."""
        from devdoctor.core import staged

        repo = self.repo()
        return staged.read(repo.work_tree, [f.sha for f in files]) if repo else {}

    def fix_options(self, cls: type[T]) -> T:
        """The rule's fix options (a dataclass) filled from the `devdoctor fix` flags."""
        names = {f.name for f in dataclasses.fields(cast(Any, cls))}
        values = {k: v for k, v in self.fix_option_values.items() if k in names}
        return cls(**values)

    def with_python(self, python: str) -> Context:
        """The same context examining another interpreter's environment (facts not cached)."""
        return dataclasses.replace(self, python=python, _cache={}, _locks={})

    def with_env(self, env: Mapping[str, str]) -> Context:
        """The same context seen from a shell whose environment is `env` (facts not cached)."""
        return dataclasses.replace(self, env=dict(env), _cache={}, _locks={})


def default_context(
    config: Config,
    python: str | None = None,
    *,
    in_hook: bool = False,
    hook_files: tuple[str, ...] = (),
    fix_option_values: Mapping[str, Any] | None = None,
    offline: bool = False,
) -> Context:
    from devdoctor import paths

    return Context(
        Path.cwd(),
        dict(os.environ),
        config,
        python,
        state_dir=paths.state_dir(),
        cache_dir=paths.cache_dir(),
        in_hook=in_hook,
        hook_files=hook_files,
        fix_option_values=dict(fix_option_values or {}),
        offline=offline,
    )
