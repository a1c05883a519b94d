"""DD507: leftovers of an interrupted install in a real venv; real pip warns; the fix moves them
aside, pip stops warning, undo moves them back."""

from __future__ import annotations

import subprocess
import venv
from pathlib import Path

from helpers import Runner


def test_leftovers_moved_aside_and_back(cli: Runner, tmp_path: Path) -> None:
    venv.create(tmp_path / "env", with_pip=True)
    python = tmp_path / "env" / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "-U", "pip"], check=True, capture_output=True
    )
    site = next((tmp_path / "env").glob("lib/python*/site-packages"))
    pip_dir = next(site.glob("pip-*.dist-info"))
    leftover = site / ("~" + pip_dir.name[1:])
    subprocess.run(["cp", "-r", str(pip_dir), str(leftover)], check=True)
    warned = subprocess.run([str(python), "-m", "pip", "list"], capture_output=True, text=True)
    assert "distribution ~ip" in warned.stderr  # pip 26: "incompletely removed distribution"
    ran = cli("fix", "DD507", "--apply", "--python", str(python))
    assert ran.code == 0, ran.out + ran.err
    assert not leftover.exists()
    clean = subprocess.run([str(python), "-m", "pip", "list"], capture_output=True, text=True)
    assert "distribution ~" not in clean.stderr
    assert cli("undo", "--yes").code == 0
    assert leftover.is_dir()


def test_the_warning(cli: Runner, tmp_path: Path) -> None:
    log = tmp_path / "pip.log"
    log.write_text(
        "WARNING: Ignoring invalid distribution ~ip (C:\\Python312\\Lib\\site-packages)\n"
    )
    [match] = cli("diagnose", str(log), "--format", "json").json()["matches"]
    assert match["name"] == "invalid-distributions" and match["facts"]["name"] == "~ip"
