"""DD307: a superproject with a submodule from a local bare remote, cloned without
--recursive: CMake-like emptiness, the check, the checkout from the declared URL, undo."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from helpers import Runner, git

ALLOW_FILE = {
    "GIT_CONFIG_COUNT": "1",
    "GIT_CONFIG_KEY_0": "protocol.file.allow",
    "GIT_CONFIG_VALUE_0": "always",
}  # git 2.38+ refuses file:// submodules otherwise


@pytest.fixture
def clone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for key, value in ALLOW_FILE.items():
        monkeypatch.setenv(key, value)
    lib = tmp_path / "glm"
    lib.mkdir()
    git(lib, "init", "-q")
    (lib / "CMakeLists.txt").write_text("project(glm)\n")
    git(lib, "add", ".")
    git(lib, "commit", "-q", "-m", "glm")
    top = tmp_path / "top"
    top.mkdir()
    git(top, "init", "-q")
    git(top, "submodule", "add", "-q", str(lib), "thirdparty/glm")
    git(top, "commit", "-q", "-m", "with glm")
    subprocess.run(["git", "clone", "-q", str(top), str(tmp_path / "clone")], check=True)
    return tmp_path / "clone"


def test_checked_out_and_undone(cli: Runner, clone: Path) -> None:
    assert not (clone / "thirdparty" / "glm" / "CMakeLists.txt").exists()
    doc = cli("check", "git-submodules-uninitialised", "--format", "json", cwd=clone).json()
    [diag] = doc["results"][0]["diagnostics"]
    assert diag["status"] == "fail" and diag["facts"]["submodules"] == ["thirdparty/glm"]
    ran = cli("fix", "git-submodules-uninitialised", "--apply", "--yes", cwd=clone)
    assert ran.code == 0, ran.out + ran.err
    assert (clone / "thirdparty" / "glm" / "CMakeLists.txt").is_file()
    assert cli("check", "DD307", cwd=clone).code == 0
    assert cli("undo", "--yes").code == 0
    assert not (clone / "thirdparty" / "glm" / "CMakeLists.txt").exists()


def test_cmake_lines(cli: Runner, tmp_path: Path) -> None:
    log = tmp_path / "cmake.log"
    log.write_text(
        "CMake Error at CMakeLists.txt:35 (add_subdirectory):\n  add_subdirectory given source "
        '"third_party/googletest/googletest" which is\n  not an existing directory.\n'
    )
    [match] = cli("diagnose", str(log), "--format", "json").json()["matches"]
    assert match["name"] == "git-submodules-uninitialised" and match["certainty"] == "certain"
