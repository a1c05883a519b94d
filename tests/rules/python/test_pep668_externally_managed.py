# ruff: noqa: RUF001 -- pip's own multiplication sign
"""DD503 against Debian's own /usr/bin/python3, which carries EXTERNALLY-MANAGED."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import Runner

SYSTEM = "/usr/bin/python3"


def test_the_system_python_warns_and_a_venv_passes(cli: Runner, user_venv: Path) -> None:
    if not os.path.exists(SYSTEM):
        pytest.skip("no /usr/bin/python3 here")
    doc = cli("check", "DD503", "--python", SYSTEM, "--format", "json").json()
    [diag] = doc["results"][0]["diagnostics"]
    if not diag["facts"]:
        pytest.skip(f"{SYSTEM} carries no EXTERNALLY-MANAGED marker on this system")
    assert diag["status"] == "warn" and diag["facts"]["marker"].endswith("EXTERNALLY-MANAGED")
    assert "-m venv" in diag["fix"]["instructions"]
    assert cli("check", "DD503", "--python", str(user_venv / "bin" / "python")).code == 0


@pytest.mark.parametrize(
    "line",
    [
        "error: externally-managed-environment",
        "× This environment is externally managed",
        "hint: See PEP 668 for the detailed specification.",
    ],
)
def test_pip_lines(cli: Runner, tmp_path: Path, line: str) -> None:
    log = tmp_path / "pip.log"
    log.write_text(line + "\n")
    [match] = cli("diagnose", str(log), "--format", "json").json()["matches"]
    assert match["name"] == "pep668-externally-managed"
