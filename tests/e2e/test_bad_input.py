"""Bad input gets one clear line and exit 2 (or is simply harmless): never a traceback, never a
rule crash."""

from __future__ import annotations

import gzip
import subprocess
from pathlib import Path

import pytest
from helpers import Runner, git

BAD_CONFIGS = [
    "[tool.devdoctor]\nselect = 'DD101'\n",
    "[tool.devdoctor]\nselect = [1, 2]\n",
    "[tool.devdoctor]\nignore = 'DD101'\n",
    "[tool.devdoctor]\nignore = [{rule = 3}]\n",
    "[tool.devdoctor]\ntimeout = true\n",
    "[tool.devdoctor]\ntimeout = -1\n",
    "[tool.devdoctor]\ntimeout = 'soon'\n",
    "[tool.devdoctor]\nhook_timeout = nan\n",
    "[tool.devdoctor]\ntimeout = inf\n",
    "[tool.devdoctor]\nrules = 3\n",
    "[tool.devdoctor]\nrules = {static-tls = 3}\n",
    "[tool.devdoctor]\nunknown = 1\n",
    "[tool.devdoctor]\nrules.static-tls.deep = 'yes'\n",
    "[tool.devdoctor]\nrules.static-tls.imports = [1, 2]\n",
    "[tool.devdoctor]\nrules.static-tls.child_timeout = 'x'\n",
    "[tool.devdoctor]\nrules.static-tls.child_timeout = true\n",
    "[tool.devdoctor]\nrules.git-messy-history.protected = [[1]]\n",
    "[tool.devdoctor]\nrules.git-messy-history.fail_commits = 2.5\n",
    "[tool.devdoctor]\nrules.git-large-file-not-lfs.max_bytes = -5\n",
    "[tool.devdoctor]\nrules.hf-endpoint-unreachable.mirrors = 'https://x'\n",
    "[tool.devdoctor]\nrules.hf-endpoint-unreachable.mirrors = [{a = 1}]\n",
    "[tool.devdoctor]\nrules.git-stale-index-lock.grace_seconds = 'x'\n",
    "[tool.devdoctor\n",
    "[tool]\ndevdoctor = 3\n",
]


@pytest.mark.parametrize("config", BAD_CONFIGS, ids=range(len(BAD_CONFIGS)))
def test_a_bad_config_is_one_line_and_exit_2(cli: Runner, repo: Path, config: str) -> None:
    (repo / "pyproject.toml").write_text(config)
    ran = cli("check", "--format", "json", cwd=repo)
    assert ran.code == 2, ran.out + ran.err
    assert "Traceback" not in ran.err and ran.err.strip().count("\n") == 0, ran.err
    assert ran.out == ""


def test_a_staged_file_whose_name_is_not_utf8(cli: Runner, repo: Path) -> None:
    name = b"model-\xff\xfe.safetensors"
    (repo / name.decode("utf-8", "surrogateescape")).write_bytes(b"\0" * 1024)
    subprocess.run([b"git", b"add", name], cwd=repo, check=True)
    ran = cli("hook", "run", cwd=repo)
    assert ran.code == 1, ran.out + ran.err  # found, not crashed
    assert "model-\ufffd\ufffd.safetensors" in ran.out
    git(repo, "status")


LOCK_LINE = b"fatal: Unable to create '/r/.git/index.lock': File exists.\n"


def test_a_truncated_gz_is_read_as_far_as_it_goes(cli: Runner, tmp_path: Path) -> None:
    whole = gzip.compress(LOCK_LINE + b"x" * 200_000)
    log = tmp_path / "train.log.gz"
    log.write_bytes(whole[: len(whole) // 2])
    ran = cli("diagnose", str(log))
    assert ran.code == 1, ran.out + ran.err  # the lock line was read before the cut
    assert "DD302" in ran.out and "warning" in ran.err and "read so far" in ran.err


def test_a_gz_that_is_not_gzip_is_read_as_text(cli: Runner, tmp_path: Path) -> None:
    log = tmp_path / "train.log.gz"
    log.write_bytes(LOCK_LINE)
    ran = cli("diagnose", str(log))
    assert ran.code == 1 and "DD302" in ran.out, ran.out + ran.err


def test_one_missing_input_does_not_hide_the_others(cli: Runner, tmp_path: Path) -> None:
    log = tmp_path / "ok.log"
    log.write_bytes(LOCK_LINE)
    ran = cli("diagnose", str(tmp_path / "missing.log"), str(log))
    assert ran.code == 1 and "DD302" in ran.out
    assert "missing.log: cannot read" in ran.err
    none = cli("diagnose", str(tmp_path / "missing.log"))
    assert none.code == 2 and "cannot read" in none.err


def test_an_unwritable_state_dir(cli: Runner, repo: Path) -> None:
    """check and diagnose still work; fix --apply refuses, names the fix, changes nothing."""
    from helpers import stale_lock

    lock = stale_lock(repo / ".git" / "index.lock")
    env = {"XDG_STATE_HOME": "/dev/null/state", "XDG_CACHE_HOME": "/dev/null/cache"}
    assert cli("check", "DD302", cwd=repo, env=env).code == 1
    assert cli("diagnose", "-", stdin="nothing here\n", env=env).code == 0
    ran = cli("fix", "DD302", "--apply", cwd=repo, env=env)
    assert ran.code == 1 and "XDG_STATE_HOME" in ran.err and "Traceback" not in ran.err
    assert ran.err.count("\n") == 1 and lock.exists()
