"""DD302 on real repositories, with real and injected process lists."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
from helpers import Runner, git, stale_lock, tree_hashes

from devdoctor.api import Context, ProcessInfo, Status
from devdoctor.core.registry import load

RULE = load().find("DD302")
assert RULE is not None


def _check(cwd: Path, processes: list[ProcessInfo]) -> list:
    ctx = Context(cwd, {}, processes=lambda: processes, holders=lambda path: [], clock=lambda: 2e9)
    return list(RULE.check(ctx, RULE.settings()))


def test_no_lock_passes(repo: Path) -> None:
    assert [d.status for d in _check(repo, [])] == [Status.PASS]


def test_lock_without_git_fails_with_a_safe_fix(repo: Path) -> None:
    stale_lock(repo / ".git" / "index.lock")
    [diag] = _check(repo, [])
    assert diag.status is Status.FAIL and diag.fix is not None
    assert diag.facts["lock"] == str(repo / ".git" / "index.lock")


def test_lock_held_by_injected_git_process_warns(repo: Path) -> None:
    stale_lock(repo / ".git" / "index.lock")
    inside = ProcessInfo(4242, "git", str(repo), ("git", "commit"))
    elsewhere = ProcessInfo(4343, "git", "/somewhere/else", ("git", "status"))
    [diag] = _check(repo, [inside, elsewhere])
    assert diag.status is Status.WARN and diag.fix is None
    assert diag.facts["git_pids"] == [4242]
    [diag] = _check(repo, [elsewhere])
    assert diag.status is Status.FAIL


def test_real_running_git_process_is_seen(cli: Runner, repo: Path) -> None:
    stale_lock(repo / ".git" / "index.lock")
    proc = subprocess.Popen(
        ["git", "cat-file", "--batch"], cwd=repo, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL
    )
    try:
        ran = cli("check", "DD302", "--format", "json", cwd=repo)
    finally:
        proc.communicate(b"")
    [result] = ran.json()["results"]
    assert result["status"] == "warn"
    assert proc.pid in result["diagnostics"][0]["facts"]["git_pids"]


def test_outside_a_repository_skips(tmp_path: Path) -> None:
    [diag] = _check(tmp_path, [])
    assert diag.status is Status.SKIP and "not in a git repository" in diag.message


def test_worktree_lock_is_found(repo: Path, tmp_path: Path) -> None:
    wt = tmp_path / "wt"
    git(repo, "worktree", "add", "-q", str(wt))
    lock = repo / ".git" / "worktrees" / "wt" / "index.lock"
    stale_lock(lock, b"")
    [diag] = _check(wt, [])
    assert diag.status is Status.FAIL and diag.facts["lock"] == str(lock)


def test_fix_apply_verify_and_undo_end_to_end(cli: Runner, repo: Path, isolated: Path) -> None:
    lock = repo / ".git" / "index.lock"
    stale_lock(lock, b"partial index \x00\x01")
    failed = subprocess.run(["git", "add", "README"], cwd=repo, capture_output=True, text=True)
    assert "index.lock': File exists" in failed.stderr

    cli("check", cwd=repo)  # devdoctor's caches (entry points, libraries) are written once
    before = tree_hashes(repo, isolated)
    preview = cli("fix", cwd=repo)
    assert preview.code == 1 and "remove " + str(lock) in preview.out
    assert "Dry run: nothing was written." in preview.out
    assert tree_hashes(repo, isolated) == before  # the preview wrote nothing, anywhere

    applied = cli("fix", "--apply", cwd=repo)
    assert applied.code == 0, applied.out + applied.err
    assert "DD302 Remove the stale index.lock: fixed" in applied.out
    assert not lock.exists()
    git(repo, "add", "README")  # git works again
    assert cli("check", "DD302", cwd=repo).code == 0

    listed = cli("undo", "--list")
    assert "applied" in listed.out and "DD302 Remove the stale index.lock" in listed.out
    assert cli("undo").code == 1  # no TTY and no --yes: refuses
    assert not lock.exists()
    undone = cli("undo", "--yes")
    assert undone.code == 0, undone.err
    assert lock.read_bytes() == b"partial index \x00\x01"
    assert "undone" in cli("undo", "--list").out
    assert "Nothing to undo" in cli("undo", "--yes").out


def test_undo_refuses_when_the_file_changed_since(cli: Runner, repo: Path) -> None:
    lock = repo / ".git" / "index.lock"
    stale_lock(lock, b"")
    assert cli("fix", "--apply", cwd=repo).code == 0
    lock.write_bytes(b"somebody else's lock\n")
    ran = cli("undo", "--yes")
    assert ran.code == 1 and "Refusing to undo" in ran.out
    assert "+somebody else's lock" in ran.out  # the diff of what changed
    assert lock.read_bytes() == b"somebody else's lock\n"


def test_log_signature_from_a_real_git_error(cli: Runner, repo: Path, tmp_path: Path) -> None:
    stale_lock(repo / ".git" / "index.lock")
    failed = subprocess.run(["git", "add", "README"], cwd=repo, capture_output=True, text=True)
    log = tmp_path / "build.log"
    log.write_text("step 1\n" + failed.stderr + failed.stderr)
    ran = cli("diagnose", str(log), "--format", "json")
    assert ran.code == 1
    [match] = ran.json()["matches"]
    assert match["code"] == "DD302" and match["count"] == 2 and match["first_line"] == 2
    assert match["facts"]["lock"] == str(repo / ".git" / "index.lock")
    assert match["fix"]["title"] == "Remove the stale index.lock"
    clean = tmp_path / "clean.log"
    clean.write_text("all good\n")
    assert cli("diagnose", str(clean)).code == 0
    piped = cli("diagnose", "-", stdin=failed.stderr)
    assert piped.code == 1 and "DD302" in piped.out


def test_a_log_naming_another_programs_lock_deletes_nothing(cli: Runner, tmp_path: Path) -> None:
    """Only `index.lock` inside a git directory is a git lock, whatever the log says."""
    (tmp_path / "app").mkdir()
    other = stale_lock(tmp_path / "app" / "search-index.lock")
    plain = tmp_path / "notgit"
    plain.mkdir()
    fake = stale_lock(plain / "index.lock")  # the right name, but no git directory around it
    log = tmp_path / "log.txt"
    log.write_text(
        f"fatal: Unable to create '{other}': File exists.\n"
        f"fatal: Unable to create '{fake}': File exists.\n"
    )
    ran = cli("fix", "git-stale-index-lock", "--from-log", str(log), "--apply")
    assert other.exists() and fake.exists(), ran.out + ran.err


def test_a_lock_open_in_a_process_that_is_not_git_is_in_use(cli: Runner, repo: Path) -> None:
    """libgit2, GitPython, JGit and IDEs hold the lock without being a `git` process."""
    lock = stale_lock(repo / ".git" / "index.lock")
    holder = subprocess.Popen(
        [sys.executable, "-c", f"f = open({str(lock)!r}); import time; time.sleep(60)"]
    )
    try:
        for _ in range(100):  # until the child has the file open
            if any(f.path == str(lock) for f in psutil.Process(holder.pid).open_files()):
                break
            time.sleep(0.05)
        result = cli("check", "DD302", "--format", "json", cwd=repo).json()["results"][0]
        assert result["status"] == "warn"
        assert f"open in pid {holder.pid}" in result["diagnostics"][0]["message"]
        ran = cli("fix", "DD302", "--apply", cwd=repo)
        assert lock.exists(), ran.out
    finally:
        holder.kill()
        holder.wait()
    assert cli("fix", "DD302", "--apply", cwd=repo).code == 0
    assert not lock.exists()


def test_a_lock_just_made_is_not_stale(cli: Runner, repo: Path) -> None:
    lock = repo / ".git" / "index.lock"
    lock.write_bytes(b"")
    now = time.time() + 30  # as if git made it a moment ago, whatever this machine's speed
    os.utime(lock, (now, now))
    result = cli("check", "DD302", "--format", "json", cwd=repo).json()["results"][0]
    assert (
        result["status"] == "warn"
        and "a git may be starting" in result["diagnostics"][0]["message"]
    )
