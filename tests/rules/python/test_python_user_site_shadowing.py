"""DD505: Debian's /usr/bin/python3 with a real user site under the test's HOME holding a
blinker that shadows the system's; PYTHONNOUSERSITE (the fix) takes it off sys.path."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from helpers import Runner

SYSTEM = "/usr/bin/python3"


def test_the_user_copy_shadows_the_system_one(cli: Runner, tmp_path: Path) -> None:
    if not os.path.isdir("/usr/lib/python3/dist-packages/blinker"):
        pytest.skip("Debian's python3-blinker is not installed here")
    user = Path(
        subprocess.run(
            [SYSTEM, "-c", "import site; print(site.getusersitepackages())"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    (user / "blinker").mkdir(parents=True)
    (user / "blinker" / "__init__.py").write_text("SHADOW = True\n")
    info = user / "blinker-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: blinker\nVersion: 0.1\n")
    imported = subprocess.run(
        [SYSTEM, "-c", "import blinker; print(blinker.__file__)"], capture_output=True, text=True
    ).stdout
    assert imported.startswith(str(user))  # the real shadowing
    doc = cli("check", "DD505", "--python", SYSTEM, "--format", "json").json()
    [diag] = doc["results"][0]["diagnostics"]
    assert diag["status"] == "fail" and diag["facts"]["shadowed"][0][:2] == ["blinker", "0.1"]
    assert diag["fix"]["applicability"] == "safe"
    fixed = subprocess.run(
        [SYSTEM, "-c", "import blinker; print(blinker.__file__)"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONNOUSERSITE": "1"},
    )
    assert fixed.stdout.startswith("/usr/lib/python3/dist-packages")
    ran = cli("check", "DD505", "--python", SYSTEM, env={"PYTHONNOUSERSITE": "1"})
    assert ran.code == 0


def test_a_venv_passes(cli: Runner, user_venv: Path) -> None:
    assert cli("check", "DD505", "--python", str(user_venv / "bin" / "python")).code == 0
