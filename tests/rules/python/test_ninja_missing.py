"""DD509: the real ninja wheel installed in a real venv, outside PATH; the fix puts the venv's
scripts folder first and a new process finds it."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

from gpuhost import torch_files
from helpers import Runner

SITE = f"lib/python{sys.version_info.major}.{sys.version_info.minor}/site-packages"


def test_ninja_off_path(cli: Runner, tmp_path: Path) -> None:
    venv.create(tmp_path / "env", with_pip=True)
    python = tmp_path / "env" / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "ninja"], check=True, capture_output=True
    )
    torch_files(tmp_path / "env" / SITE, "2.4.1+cpu", None)
    (tmp_path / "empty").mkdir()
    env = {"PATH": str(tmp_path / "empty")}  # this machine has a /usr/bin/ninja
    doc = cli("check", "DD509", "--python", str(python), "--format", "json", env=env).json()
    [diag] = doc["results"][0]["diagnostics"]
    assert diag["status"] == "fail" and diag["facts"]["ninja"] == str(
        tmp_path / "env" / "bin" / "ninja"
    )
    assert diag["fix"]["applicability"] == "safe"
    ran = cli("fix", "DD509", "--apply", "--python", str(python), env=env)
    assert ran.code == 0, ran.out + ran.err
    assert cli("check", "DD509", "--python", str(python), env=env).code == 0
    assert cli("undo", "--yes").code == 0


def test_the_message(cli: Runner, tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    log.write_text('    raise RuntimeError("Ninja is required to load C++ extensions")\n')
    [match] = cli("diagnose", str(log), "--format", "json").json()["matches"]
    assert match["name"] == "ninja-missing"
