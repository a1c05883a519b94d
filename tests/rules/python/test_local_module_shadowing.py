"""DD506: a project file named like an installed distribution's top-level module, imported
instead of it by the real interpreter."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from helpers import Runner

SITE = f"lib/python{sys.version_info.major}.{sys.version_info.minor}/site-packages"


def test_a_project_file_named_like_a_package(cli: Runner, user_venv: Path, tmp_path: Path) -> None:
    site = user_venv / SITE
    (site / "tinypkg").mkdir()
    (site / "tinypkg" / "__init__.py").write_text("REAL = True\n")
    info = site / "tinypkg-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: tinypkg\nVersion: 1.0\n")
    (info / "top_level.txt").write_text("tinypkg\n")
    project = tmp_path / "project"
    project.mkdir()
    (project / "tinypkg.py").write_text("import tinypkg\nprint(tinypkg.REAL)\n")
    python = str(user_venv / "bin" / "python")
    ran = subprocess.run([python, "tinypkg.py"], cwd=project, capture_output=True, text=True)
    assert "has no attribute 'REAL'" in ran.stderr  # the project file answered the import
    doc = cli("check", "DD506", "--python", python, "--format", "json", cwd=project).json()
    [diag] = doc["results"][0]["diagnostics"]
    assert diag["status"] == "fail" and diag["facts"]["path"] == str(project / "tinypkg.py")
    assert "mv" in diag["fix"]["instructions"]
    (project / "tinypkg.py").rename(project / "main.py")
    assert cli("check", "DD506", "--python", python, cwd=project).code == 0


def test_log_lines(cli: Runner, tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    log.write_text(
        "ImportError: cannot import name 'load_dataset' from 'datasets' (unknown location)\n"
    )
    [match] = cli("diagnose", str(log), "--format", "json").json()["matches"]
    assert match["name"] == "local-module-shadowing"
    log.write_text(
        "AttributeError: partially initialized module 'torch' has no attribute 'cuda' "
        "(most likely due to a circular import)\n"
    )
    [match] = cli("diagnose", str(log), "--format", "json").json()["matches"]
    assert match["certainty"] == "possible" and "torch.py" in match["to_tell"]
