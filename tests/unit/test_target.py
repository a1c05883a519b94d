"""The examined environment is the user's (--python, $VIRTUAL_ENV, ...), not devdoctor's own."""

from __future__ import annotations

import sys
from pathlib import Path

from helpers import Runner


def test_python_option_examines_that_venv(cli: Runner, user_venv: Path) -> None:
    python = user_venv / "bin" / "python"
    target = cli("check", "--format", "json", "--python", str(python)).json()["target"]
    assert target["prefix"] == str(user_venv) and target["is_venv"] is True
    assert target["kind"] == "venv" and target["source"] == "--python"
    assert target["prefix"] != sys.prefix
    assert any(p.startswith(str(user_venv)) for p in target["site_packages"])


def test_virtual_env_is_the_default(cli: Runner, user_venv: Path) -> None:
    target = cli("check", "--format", "json", env={"VIRTUAL_ENV": str(user_venv)}).json()["target"]
    assert target["source"] == "VIRTUAL_ENV" and target["prefix"] == str(user_venv)


def test_a_broken_interpreter_is_reported_not_fatal(cli: Runner, tmp_path: Path) -> None:
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\necho broken >&2\nexit 7\n")
    fake.chmod(0o755)
    ran = cli("check", "--format", "json", "--python", str(fake))
    assert ran.code == 0
    assert "exited with 7: broken" in ran.json()["target"]["error"]
