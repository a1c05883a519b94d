"""DD303 git-large-file-not-lfs on real repositories: the staged blob decides, not the file."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

from helpers import Runner, git, require_tool

POINTER = (
    "version https://git-lfs.github.com/spec/v1\n"
    "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
    "size 12345\n"
)


def check(cli: Runner, repo: Path):
    return cli("check", "git-large-file-not-lfs", "--format", "json", cwd=repo).json()["results"][0]


def test_raw_weights_fail_with_runnable_lfs_commands(cli: Runner, repo: Path) -> None:
    weights = repo / "my model.safetensors"  # a space: the printed commands must quote it
    weights.write_bytes(os.urandom(2048))
    git(repo, "add", weights.name)
    result = check(cli, repo)
    assert result["status"] == "fail"
    diagnostic = result["diagnostics"][0]
    assert diagnostic["facts"] == {"file": "my model.safetensors", "bytes": 2048}
    assert diagnostic["fix"]["applicability"] == "display-only"
    text = cli("fix", "git-large-file-not-lfs", cwd=repo)
    command = next(line for line in text.out.splitlines() if "git rm --cached" in line)
    assert "'my model.safetensors'" in command
    # The printed command is valid shell: it splits into the intended arguments.
    words = shlex.split(command.split("run: ", 1)[1])
    assert words.count("my model.safetensors") == 2


def test_a_staged_pointer_passes_and_the_index_not_the_file_decides(
    cli: Runner, repo: Path
) -> None:
    weights = repo / "model.bin"
    weights.write_text(POINTER)
    git(repo, "add", "model.bin")
    weights.write_bytes(os.urandom(4096))  # the working tree now holds raw bytes
    assert check(cli, repo)["status"] == "pass"
    git(repo, "add", "model.bin")  # now the raw bytes are staged
    assert check(cli, repo)["status"] == "fail"


def test_size_limit_and_settings(cli: Runner, repo: Path) -> None:
    (repo / "data.csv").write_bytes(b"x" * 600_000)
    git(repo, "add", "data.csv")
    assert check(cli, repo)["status"] == "fail"
    (repo / "pyproject.toml").write_text(
        "[tool.devdoctor.rules.git-large-file-not-lfs]\nmax_bytes = 1000000\n"
    )
    assert check(cli, repo)["status"] == "pass"


def test_committed_files_are_not_flagged_again(cli: Runner, repo: Path) -> None:
    (repo / "model.pt").write_bytes(os.urandom(100))
    git(repo, "add", "model.pt")
    git(repo, "commit", "-q", "-m", "weights")
    assert check(cli, repo)["status"] == "pass"  # nothing staged: the next commit adds nothing


def test_outside_a_repository_it_skips(cli: Runner, tmp_path: Path) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    result = check(cli, folder)
    assert result["status"] == "skip"
    assert result["diagnostics"][0]["message"] == "not in a git repository"


def test_git_lfs_track_makes_it_pass(cli: Runner, repo: Path) -> None:
    """The real remedy, with real git-lfs: the same file staged through LFS passes."""
    require_tool("git-lfs")
    git(repo, "lfs", "install", "--local")
    git(repo, "lfs", "track", "*.safetensors")
    (repo / "model.safetensors").write_bytes(os.urandom(4096))
    git(repo, "add", ".gitattributes", "model.safetensors")
    assert check(cli, repo)["status"] == "pass"
