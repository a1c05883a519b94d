"""DD501 against real installs made with `pip install --no-deps`, held against real `pip check`;
the fix installs what every dependent accepts (from the package index) and undo puts it back."""

from __future__ import annotations

import os
import re
import subprocess
import venv
from pathlib import Path

import pytest
from helpers import Runner


@pytest.fixture
def env(tmp_path: Path) -> Path:
    venv.create(tmp_path / "env", with_pip=True)
    python = tmp_path / "env" / "bin" / "python"
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "requests==2.31.0",
            "urllib3==1.20",
            "idna==3.6",
            "certifi==2024.2.2",
        ],
        check=True,
        capture_output=True,
    )
    return python


def pip_check(python: Path) -> set[tuple[str, str]]:
    out = subprocess.run([str(python), "-m", "pip", "check"], capture_output=True, text=True).stdout
    pairs = set()
    for line in out.splitlines():
        found = re.match(r"(\S+) \S+ (?:has requirement|requires) ([A-Za-z0-9_.-]+)", line)
        if found:
            pairs.add((found.group(1).lower(), found.group(2).lower()))
    return pairs


def test_agrees_with_pip_check_and_fixes_it(cli: Runner, env: Path) -> None:
    python = str(env)
    doc = cli("check", "pip-dependency-conflicts", "--python", python, "--format", "json").json()
    found = {
        (c["dependent"].split()[0].lower(), c["name"].lower())
        for d in doc["results"][0]["diagnostics"]
        for c in d["facts"]["conflicts"]
    }
    assert found == pip_check(env) == {("requests", "urllib3"), ("requests", "charset-normalizer")}
    [urllib3] = [d for d in doc["results"][0]["diagnostics"] if "urllib3" in d["message"]]
    assert urllib3["fix"]["title"] == "Install urllib3<3,>=1.21.1 (what every dependent accepts)"

    ran = cli("fix", "pip-dependency-conflicts", "--apply", "--yes", "--python", python)
    assert ran.code == 0, ran.out + ran.err
    assert pip_check(env) == set()
    assert cli("undo", "--yes").code == 0
    assert pip_check(env) == {("requests", "urllib3"), ("requests", "charset-normalizer")}


def test_a_clean_environment_passes(cli: Runner, user_venv: Path) -> None:
    assert cli("check", "DD501", "--python", str(user_venv / "bin" / "python")).code == 0


def test_pip_lines(cli: Runner, tmp_path: Path) -> None:
    log = tmp_path / "pip.log"
    log.write_text(
        "ERROR: pip's dependency resolver does not currently take into account all the packages "
        "that are installed. This behaviour is the source of the following dependency conflicts.\n"
        "torch 2.3.0 requires nvidia-cudnn-cu12==8.9.2.26, but you have nvidia-cudnn-cu12 9.1.0.70 "
        "which is incompatible.\n"
    )
    names = {m["name"] for m in cli("diagnose", str(log), "--format", "json").json()["matches"]}
    assert names == {"pip-dependency-conflicts"}


def test_a_warm_answer_is_dropped_when_an_install_changes_site_packages(
    cli: Runner, tmp_path: Path
) -> None:
    """The answer is kept between runs (keyed by the site-packages folders' mtimes): an install
    after a passing run must still be seen by the next run."""
    venv.create(tmp_path / "env", with_pip=True)
    python = tmp_path / "env" / "bin" / "python"
    before = cli("check", "pip-dependency-conflicts", "--python", str(python))
    assert before.code == 0, before.out + before.err
    assert list(Path(os.environ["XDG_CACHE_HOME"]).rglob("python-conflicts-*.json"))
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "requests==2.31.0"],
        check=True,
        capture_output=True,
    )
    after = cli("check", "pip-dependency-conflicts", "--python", str(python))
    assert after.code == 1 and "urllib3" in after.out, after.out + after.err
