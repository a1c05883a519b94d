"""DD308 with real git-lfs: a repository pushed with LFS to a local bare remote and cloned with
GIT_LFS_SKIP_SMUDGE=1; pickle's real error on the pointer; `git lfs pull` for those files (the
local remote serves them), undo writes the pointers back."""

from __future__ import annotations

import os
import pickle
import subprocess
from pathlib import Path

import pytest
from helpers import Runner, git, require_tool


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    require_tool("git-lfs")
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    work = tmp_path / "work"
    work.mkdir()
    git(work, "init", "-q")
    git(work, "lfs", "install", "--local")
    git(work, "lfs", "track", "*.pkl")
    with open(work / "model.pkl", "wb") as f:
        pickle.dump({"w": list(range(10))}, f)
    git(work, "add", ".gitattributes", "model.pkl")
    git(work, "commit", "-q", "-m", "weights")
    git(work, "remote", "add", "origin", str(remote))
    git(work, "push", "-q", "origin", "HEAD:main")
    env = {**os.environ, "GIT_LFS_SKIP_SMUDGE": "1"}
    subprocess.run(
        ["git", "clone", "-q", "-b", "main", str(remote), str(tmp_path / "clone")],
        env=env,
        check=True,
    )
    return tmp_path / "clone"


def test_pointers_pulled_and_written_back(cli: Runner, clone: Path, tmp_path: Path) -> None:
    model = clone / "model.pkl"
    load = ["python3", "-c", f"import pickle; print(pickle.load(open({str(model)!r}, 'rb')))"]
    failed = subprocess.run(load, capture_output=True, text=True)
    assert "invalid load key, 'v'" in failed.stderr
    log = tmp_path / "load.log"
    log.write_text(failed.stderr)
    [match] = cli("diagnose", str(log), "--format", "json").json()["matches"]
    assert match["name"] == "lfs-pointer-not-content"
    doc = cli("check", "lfs-pointer-not-content", "--format", "json", cwd=clone).json()
    [diag] = doc["results"][0]["diagnostics"]
    assert diag["status"] == "fail" and diag["facts"]["pointers"] == ["model.pkl"]
    pointer = model.read_bytes()
    ran = cli("fix", "lfs-pointer-not-content", "--apply", "--yes", cwd=clone)
    assert ran.code == 0, ran.out + ran.err
    assert "{'w': [0, 1" in subprocess.run(load, capture_output=True, text=True).stdout
    assert cli("undo", "--yes").code == 0
    assert model.read_bytes() == pointer


def test_no_pointers_pass(cli: Runner, repo: Path) -> None:
    assert cli("check", "DD308", cwd=repo).code == 0
