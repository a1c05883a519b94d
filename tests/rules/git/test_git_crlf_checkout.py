"""DD306: a script committed with LF, checked out with core.autocrlf=true: the real kernel error
running it, the check, the fix (autocrlf=input and LF in that file), the script runs, undo."""

from __future__ import annotations

import subprocess
from pathlib import Path

from helpers import Runner, git


def test_a_crlf_script(cli: Runner, repo: Path, tmp_path: Path) -> None:
    script = repo / "train.sh"
    script.write_text("#!/bin/sh\necho trained\n")
    script.chmod(0o755)
    git(repo, "add", "train.sh")
    git(repo, "commit", "-q", "-m", "script")
    git(repo, "config", "core.autocrlf", "true")
    script.unlink()
    git(repo, "checkout", "--", "train.sh")
    assert b"\r\n" in script.read_bytes()
    failed = subprocess.run(["bash", "-c", "./train.sh"], cwd=repo, capture_output=True, text=True)
    # bash before 5.2: "/bin/sh^M: bad interpreter"; 5.2: "required file not found"
    assert "bad interpreter" in failed.stderr or "required file not found" in failed.stderr
    log = tmp_path / "run.log"
    log.write_text(failed.stderr)
    [match] = cli("diagnose", str(log), "--format", "json").json()["matches"]
    assert match["name"] == "git-crlf-checkout"
    doc = cli("check", "git-crlf-checkout", "--format", "json", cwd=repo).json()
    [diag] = doc["results"][0]["diagnostics"]
    assert diag["status"] == "fail" and diag["facts"] == {
        "scripts": ["train.sh"],
        "autocrlf": "true",
    }
    config = repo / ".git" / "config"
    before = (config.read_bytes(), script.read_bytes())
    ran = cli("fix", "git-crlf-checkout", "--apply", cwd=repo)
    assert ran.code == 0, ran.out + ran.err
    assert (
        subprocess.run(["./train.sh"], cwd=repo, capture_output=True, text=True).stdout
        == "trained\n"
    )
    assert git(repo, "config", "core.autocrlf") == "input"
    assert git(repo, "status", "--porcelain") == ""  # the index agrees: only endings changed
    assert cli("undo", "--yes").code == 0
    assert (config.read_bytes(), script.read_bytes()) == before


def test_lf_scripts_pass(cli: Runner, repo: Path) -> None:
    (repo / "ok.sh").write_text("#!/bin/sh\necho ok\n")
    git(repo, "add", "ok.sh")
    assert cli("check", "DD306", cwd=repo).code == 0
