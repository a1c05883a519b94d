"""Shared fixtures: an isolated home, a CLI runner in a real child process, real repos, plugins."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import venv
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import GIT_ENV, Ran, Runner, git


@pytest.fixture(autouse=True)
def isolated(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test reads or writes the real home, XDG dirs, HF cache or git config."""
    home = tmp_path_factory.mktemp("home")
    gitconfig = home / ".gitconfig"
    gitconfig.write_text("[init]\n\tdefaultBranch = main\n")
    # Tests never probe the real hub or pip index: DD201 looks at a closed loopback port unless
    # a test points it elsewhere.
    user_config = home / ".config" / "devdoctor" / "config.toml"
    user_config.parent.mkdir(parents=True)
    user_config.write_text(
        '[rules.hf-endpoint-unreachable]\nofficial_endpoint = "http://127.0.0.1:9"\n'
        'mirrors = []\ncontrol_url = "http://127.0.0.1:9/simple/"\n'
    )
    for name, value in {
        "HOME": home,
        "XDG_CONFIG_HOME": home / ".config",
        "XDG_STATE_HOME": home / ".state",
        "XDG_CACHE_HOME": home / ".cache",
        "XDG_DATA_HOME": home / ".data",
        "HF_HOME": home / ".hf",
        "GIT_CONFIG_GLOBAL": gitconfig,
        "GIT_CONFIG_NOSYSTEM": "1",
        "SHELL": "/bin/bash",
        **GIT_ENV,
    }.items():
        monkeypatch.setenv(name, str(value))
    for name in (
        "VIRTUAL_ENV",
        "CONDA_PREFIX",
        "LD_PRELOAD",
        "DEVDOCTOR_SELECT",
        "DEVDOCTOR_IGNORE",
        "DEVDOCTOR_TIMEOUT",
        "DEVDOCTOR_STATE_DIR",
        "NO_COLOR",
        "GIT_DIR",
        "GIT_WORK_TREE",
        "PYTHONPATH",
    ):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture
def cli(tmp_path: Path) -> Runner:
    """Run `python -m devdoctor ARGS` in a child process, as a user would."""

    def run(
        *args: str,
        cwd: Path | None = None,
        env: dict[str, str] | None = None,
        stdin: str | None = None,
        timeout: float = 60,
    ) -> Ran:
        full_env = {**os.environ, **(env or {})}
        proc = subprocess.run(
            [sys.executable, "-m", "devdoctor", *args],
            cwd=cwd or tmp_path,
            env=full_env,
            input=stdin or "",
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        return Ran(proc.returncode, proc.stdout, proc.stderr)

    return run


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "-q")
    (path / "README").write_text("hello\n")
    git(path, "add", "README")
    git(path, "commit", "-q", "-m", "first")
    return path


@pytest.fixture(scope="session")
def shared_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real venv (no pip) that tests may copy; creating one costs a second or two."""
    path = tmp_path_factory.mktemp("venvs") / "base"
    venv.create(path, with_pip=False, symlinks=True)
    return path


@pytest.fixture
def user_venv(tmp_path: Path) -> Path:
    path = tmp_path / "uservenv"
    venv.create(path, with_pip=False, symlinks=True)
    return path


@pytest.fixture
def plugin(tmp_path: Path) -> Callable[[str, str], dict[str, str]]:
    """Install a real entry-point plugin (a dist-info on PYTHONPATH); returns the env to use."""
    root = tmp_path / "plugins"

    def make(module: str, source: str, entry: str | None = None) -> dict[str, str]:
        root.mkdir(exist_ok=True)
        (root / f"{module}.py").write_text(textwrap.dedent(source))
        info = root / f"{module}-0.1.dist-info"
        info.mkdir(exist_ok=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 0.1\n")
        entry_points = info / "entry_points.txt"
        old = entry_points.read_text() if entry_points.exists() else "[devdoctor.rules]\n"
        entry_points.write_text(old + f"{module} = {entry or module + ':RULE'}\n")
        return {"PYTHONPATH": str(root)}

    return make
