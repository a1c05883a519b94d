"""DD305 with a real repository chowned to another uid (root only): git's real refusal, the one
safe.directory entry added to the global config and proven by git in a new process, undone byte
for byte."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from helpers import Runner


@pytest.fixture
def foreign(repo: Path) -> Path:
    if os.geteuid() != 0:
        if os.environ.get("CI") == "true":
            pytest.fail("chowning a repository to another uid needs root under CI=true")
        pytest.skip("chowning a repository to another uid needs root")
    subprocess.run(["chown", "-R", "4242:4242", str(repo)], check=True)
    return repo


def test_refused_fixed_and_undone(cli: Runner, foreign: Path, tmp_path: Path) -> None:
    status = subprocess.run(["git", "status"], cwd=foreign, capture_output=True, text=True)
    assert "detected dubious ownership" in status.stderr
    log = tmp_path / "git.log"
    log.write_text(status.stderr)
    names = {m["name"] for m in cli("diagnose", str(log), "--format", "json").json()["matches"]}
    assert names == {"git-dubious-ownership"}

    doc = cli("check", "git-dubious-ownership", "--format", "json", cwd=foreign).json()
    [diag] = doc["results"][0]["diagnostics"]
    assert diag["status"] == "fail" and diag["facts"]["owner_uid"] == 4242
    config = Path(os.environ["HOME"]) / ".gitconfig"
    before = config.read_bytes() if config.exists() else None
    ran = cli("fix", "git-dubious-ownership", "--apply", cwd=foreign)
    assert ran.code == 0, ran.out + ran.err
    assert subprocess.run(["git", "status"], cwd=foreign, capture_output=True).returncode == 0
    listed = subprocess.run(
        ["git", "config", "--global", "--get-all", "safe.directory"], capture_output=True, text=True
    ).stdout.split()
    assert listed == [str(foreign)]  # that path only, never *
    assert cli("undo", "--yes").code == 0
    assert (config.read_bytes() if config.exists() else None) == before


def test_own_repository_passes(cli: Runner, repo: Path) -> None:
    assert cli("check", "DD305", cwd=repo).code == 0
