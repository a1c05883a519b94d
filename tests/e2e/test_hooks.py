"""Git hooks: the pre-commit framework (real pre-commit), and plain hooks installed by devdoctor."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import Ran, Runner, git, require_tool

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "hf_" + "AbCdEfGhIjKlMnOpQrStUvWxYz01234567"
PRE_COMMIT = str(Path(sys.executable).parent / "pre-commit")  # the test extras' pre-commit


def run(cwd: Path, *args: str, env: dict[str, str] | None = None) -> Ran:
    proc = subprocess.run(
        list(args),
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=900,
        check=False,
    )
    return Ran(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One pre-commit cache for the session: it installs devdoctor into its own venv once."""
    return str(tmp_path_factory.mktemp("pre-commit-home"))


def stage_bad_files(repo: Path) -> None:
    (repo / "config.py").write_text(f'TOKEN = "{TOKEN}"\n')
    (repo / "model.safetensors").write_bytes(os.urandom(1_000_000))
    git(repo, "add", "config.py", "model.safetensors")


def test_manifest_is_valid() -> None:
    ran = run(ROOT, PRE_COMMIT, "validate-manifest", ".pre-commit-hooks.yaml")
    assert ran.code == 0, ran.out + ran.err


def test_try_repo_fails_on_token_and_raw_weights(repo: Path, pre_commit_home: str) -> None:
    env = {"PRE_COMMIT_HOME": pre_commit_home}
    clean = run(repo, PRE_COMMIT, "try-repo", str(ROOT), "devdoctor", "--all-files", env=env)
    assert clean.code == 0, clean.out + clean.err
    stage_bad_files(repo)
    ran = run(repo, PRE_COMMIT, "try-repo", str(ROOT), "devdoctor", "--all-files", env=env)
    assert ran.code == 1, ran.out + ran.err
    assert "config.py:1" in ran.out and "model.safetensors" in ran.out
    assert TOKEN not in ran.out + ran.err


def test_try_repo_history_hook_on_a_messy_branch(
    repo: Path, tmp_path: Path, pre_commit_home: str
) -> None:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    git(repo, "push", "-q", "-u", "origin", "main")
    git(repo, "remote", "set-head", "origin", "--auto")
    git(repo, "switch", "-q", "-c", "feature")
    for subject in ("Add thing", "WIP", "fixup! Add thing"):
        (repo / "thing.txt").write_text(subject + "\n")
        git(repo, "add", "thing.txt")
        git(repo, "commit", "-q", "-m", subject)
    env = {"PRE_COMMIT_HOME": pre_commit_home}
    ran = run(
        repo,
        PRE_COMMIT,
        "try-repo",
        str(ROOT),
        "devdoctor-history",
        "--hook-stage",
        "manual",
        "--all-files",
        env=env,
    )
    assert ran.code == 1, ran.out + ran.err
    assert "DD301" in ran.out and "fixup!" in ran.out


# --- plain hooks --------------------------------------------------------------------------------


def hook_path(repo: Path, stage: str) -> Path:
    return repo / ".git" / "hooks" / stage


def test_install_chains_an_existing_hook_and_uninstall_restores_it(cli: Runner, repo: Path) -> None:
    original = b"#!/bin/sh\necho chained-ran > chained.marker\n"
    hook = hook_path(repo, "pre-commit")
    hook.write_bytes(original)
    hook.chmod(0o750)
    ran = cli("hook", "install", cwd=repo)
    assert ran.code == 0 and "the existing hook runs first" in ran.out

    (repo / "ok.txt").write_text("fine\n")
    git(repo, "add", "ok.txt")
    # a GUI client's PATH: no devdoctor, no venv, only git
    committed = run(repo, "git", "commit", "-m", "Add ok", env={"PATH": "/usr/bin:/bin"})
    assert committed.code == 0, committed.out + committed.err
    assert (repo / "chained.marker").read_text() == "chained-ran\n"
    assert "DD30" not in committed.out + committed.err  # a passing hook is silent

    stage_bad_files(repo)
    refused = run(repo, "git", "commit", "-m", "Add model", env={"PATH": "/usr/bin:/bin"})
    assert refused.code != 0
    assert "config.py:1" in refused.out + refused.err and TOKEN not in refused.out + refused.err
    assert git(repo, "log", "-1", "--format=%s") == "Add ok"

    assert cli("hook", "uninstall", cwd=repo).code == 0
    assert hook.read_bytes() == original and stat.S_IMODE(hook.stat().st_mode) == 0o750
    assert not hook_path(repo, "pre-commit.devdoctor-chained").exists()


def test_git_lfs_pre_push_keeps_working(cli: Runner, repo: Path, tmp_path: Path) -> None:
    require_tool("git-lfs")
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    git(repo, "lfs", "install", "--local")
    lfs_hook = hook_path(repo, "pre-push").read_bytes()
    assert cli("hook", "install", "--stage", "pre-push", cwd=repo).code == 0
    git(repo, "lfs", "track", "*.bin")
    (repo / "weights.bin").write_bytes(os.urandom(4096))
    git(repo, "add", ".gitattributes", "weights.bin")
    git(repo, "commit", "-q", "-m", "Add weights")
    pushed = run(repo, "git", "push", "-u", "origin", "main")
    assert pushed.code == 0, pushed.out + pushed.err
    assert "DD301" not in pushed.out + pushed.err  # a passing hook is silent
    assert list((remote / "lfs" / "objects").rglob("*")), "git-lfs's hook uploaded the object"
    git(repo, "switch", "-q", "-c", "feature")  # devdoctor's part of the hook really runs:
    for n in range(2):
        (repo / "f.py").write_text(f"x = {n}\n")
        git(repo, "add", "f.py")
        git(repo, "commit", "-q", "-m", "fixup! Add weights")
    refused = run(repo, "git", "push", "-u", "origin", "feature")
    assert refused.code != 0 and "DD301 git-messy-history" in refused.out + refused.err
    assert cli("hook", "uninstall", "--stage", "pre-push", cwd=repo).code == 0
    assert hook_path(repo, "pre-push").read_bytes() == lfs_hook


def test_shared_hooks_path_is_refused(cli: Runner, repo: Path, tmp_path: Path) -> None:
    shared = tmp_path / "company-hooks"
    shared.mkdir()
    git(repo, "config", "core.hooksPath", str(shared))
    ran = cli("hook", "install", cwd=repo)
    assert ran.code == 1 and "shared hooks directory" in ran.err
    assert "-m devdoctor hook run" in ran.err and list(shared.iterdir()) == []


def test_worktree_hooks_go_to_the_common_dir(cli: Runner, repo: Path, tmp_path: Path) -> None:
    worktree = tmp_path / "wt"
    git(repo, "worktree", "add", "-q", str(worktree))
    assert cli("hook", "install", cwd=worktree).code == 0
    assert "devdoctor hook" in hook_path(repo, "pre-commit").read_text()


SLOW = """
import time
from devdoctor.api import Diagnostic, Rule, Scope, Status
def check(ctx, settings):
    time.sleep(30)
    yield Diagnostic(Status.FAIL, "never")
RULE = Rule("XX907", "slow-hook-rule", "slow", Scope.HOOK, check)
"""


def test_a_rule_over_the_budget_is_skipped_not_failed(
    cli: Runner, repo: Path, plugin, tmp_path: Path
) -> None:
    (repo / "pyproject.toml").write_text("[tool.devdoctor]\nhook_timeout = 1\n")
    ran = cli("hook", "run", cwd=repo, env=plugin("slow", SLOW))
    assert (ran.code, ran.out) == (0, ""), ran.out + ran.err  # skipped, and a hook is quiet


def test_a_hook_never_writes(cli: Runner, repo: Path, isolated: Path) -> None:
    script = repo / "train.py"
    script.write_text('import transformers\nimport os\nos.environ["HF_ENDPOINT"] = "x"\n')
    git(repo, "add", "train.py")
    script.write_text("print('working tree differs from the staged blob')\n")
    ran = cli("hook", "run", cwd=repo)
    assert ran.code == 1 and "train.py:3" in ran.out  # the staged content, not the file
    assert script.read_text() == "print('working tree differs from the staged blob')\n"
    assert not (isolated / ".state" / "devdoctor" / "journal").exists()


def test_a_dangling_hook_link_survives_install_and_uninstall(cli: Runner, repo: Path) -> None:
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.parent.mkdir(exist_ok=True)
    hook.symlink_to("../../tools/missing-hook.sh")  # the user's, pointing at a file not there yet
    assert cli("hook", "install", cwd=repo).code == 0
    chained = hook.with_name("pre-commit.devdoctor-chained")
    assert chained.is_symlink() and os.readlink(chained) == "../../tools/missing-hook.sh"
    assert cli("hook", "uninstall", cwd=repo).code == 0
    assert hook.is_symlink() and os.readlink(hook) == "../../tools/missing-hook.sh"


def test_a_failing_hook_shows_only_failures_with_their_remedy(
    cli: Runner, repo: Path, tmp_path: Path
) -> None:
    stage_bad_files(repo)
    no_lfs = tmp_path / "bin"  # a PATH with git but without git-lfs
    no_lfs.mkdir()
    (no_lfs / "git").symlink_to(shutil.which("git") or "/usr/bin/git")
    ran = cli("hook", "run", cwd=repo, env={"PATH": str(no_lfs)})
    assert ran.code == 1, ran.out + ran.err
    lines = ran.out.splitlines()
    assert lines[0].startswith("✗ ")  # no banner, no passing rules
    assert not any("✓" in line or "examining" in line for line in lines)
    assert "config.py:1: a Hugging Face token (hf_***)" in ran.out
    assert "git lfs track '*.safetensors'" in ran.out  # the exact remedy, inline
    assert "git-lfs is not installed" in ran.out
    assert TOKEN not in ran.out
