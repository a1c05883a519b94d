"""DD504: a real venv made from an interpreter reached through a link that is then removed (as
a pyenv or uv upgrade removes the Python a venv was made from)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from helpers import Runner


def test_a_venv_whose_base_is_gone(cli: Runner, tmp_path: Path) -> None:
    base = tmp_path / "pythons" / "3.11"
    (base / "bin").mkdir(parents=True)
    os.symlink(os.path.realpath(sys.executable), base / "bin" / "python3")
    subprocess.run(
        [str(base / "bin" / "python3"), "-m", "venv", "--without-pip", str(tmp_path / "v")],
        check=True,
    )
    venv = tmp_path / "v"
    assert cli("check", "DD504", "--python", str(venv / "bin" / "python")).code == 0
    (venv / "lib").mkdir(exist_ok=True)
    site = next(venv.glob("lib/python*/site-packages"))
    (site / "tqdm-4.66.1.dist-info").mkdir()
    cfg = (
        (venv / "pyvenv.cfg")
        .read_text()
        .replace(os.path.dirname(os.path.realpath(sys.executable)), str(base / "bin"))
    )
    (venv / "pyvenv.cfg").write_text(cfg)
    os.unlink(venv / "bin" / "python")
    os.symlink(base / "bin" / "python3", venv / "bin" / "python")
    for p in (base / "bin" / "python3", base / "bin"):
        p.unlink() if p.is_symlink() else p.rmdir()
    ran = subprocess.run(
        ["sh", "-c", f'"{venv}/bin/python" -c pass'], capture_output=True, text=True
    )
    assert ran.returncode != 0  # the real failure
    doc = cli("check", "DD504", "--python", str(venv / "bin" / "python"), "--format", "json").json()
    [diag] = doc["results"][0]["diagnostics"]
    assert diag["status"] == "fail" and "no longer exists" in diag["message"]
    assert diag["fix"]["applicability"] == "display-only"
    assert (
        "tqdm==4.66.1" in diag["fix"]["instructions"] and "--clear" in diag["fix"]["instructions"]
    )


def test_log_lines(cli: Runner, tmp_path: Path) -> None:
    log = tmp_path / "ci.log"
    log.write_text(
        "/w/.venv/bin/pytest: /w/.venv/bin/python: bad interpreter: No such file or directory\n"
        "  Caused by: Broken symlink at `.tox/py314/bin/python3`, was the underlying Python interpreter removed?\n"
    )
    names = {m["name"] for m in cli("diagnose", str(log), "--format", "json").json()["matches"]}
    assert names == {"venv-broken-interpreter"}
