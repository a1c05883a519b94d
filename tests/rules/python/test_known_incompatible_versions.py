"""DD502 with the real packages of its first entry: diffusers 0.25.0 and huggingface_hub 0.26.0
from the package index reproduce the real ImportError; the entry's pin is installed and undone."""

from __future__ import annotations

import subprocess
import venv
from pathlib import Path

import pytest
from helpers import Runner

IMPORT = "import diffusers.utils.dynamic_modules_utils"


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    venv.create(tmp_path / "env", with_pip=True)
    python = tmp_path / "env" / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "diffusers==0.25.0", "huggingface_hub==0.26.0"],
        check=True,
        capture_output=True,
    )
    return python


def test_found_from_the_table_fixed_and_undone(cli: Runner, broken: Path, tmp_path: Path) -> None:
    python = str(broken)
    failed = subprocess.run([python, "-c", IMPORT], capture_output=True, text=True)
    assert "cannot import name 'cached_download' from 'huggingface_hub'" in failed.stderr
    log = tmp_path / "err.log"
    log.write_text(failed.stderr)
    names = {m["name"] for m in cli("diagnose", str(log), "--format", "json").json()["matches"]}
    assert names == {"known-incompatible-versions"}

    doc = cli("check", "DD502", "--python", python, "--format", "json").json()
    [diag] = doc["results"][0]["diagnostics"]
    assert diag["status"] == "fail" and diag["facts"]["entry"] == "hub-cached-download"
    assert diag["facts"]["versions"] == {"huggingface-hub": "0.26.0", "diffusers": "0.25.0"}
    ran = cli("fix", "DD502", "--apply", "--yes", "--python", python, timeout=600)
    assert ran.code == 0, ran.out + ran.err
    assert subprocess.run([python, "-c", IMPORT], capture_output=True).returncode == 0
    assert cli("undo", "--yes", timeout=600).code == 0
    version = subprocess.run(
        [python, "-c", "import importlib.metadata as m; print(m.version('diffusers'))"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    assert version == "0.25.0"


def test_the_table_is_well_formed() -> None:
    from devdoctor.rules.python.known_incompatible_versions import TABLE
    from packaging.specifiers import SpecifierSet

    for entry in TABLE:
        assert {"id", "summary", "source", "when", "fix"} <= set(entry), entry
        assert entry["source"].startswith("https://")
        for ranges in entry["when"].values():
            for part in ranges.split("|"):
                assert part == "missing" or SpecifierSet(part)
        SpecifierSet(entry["fix"]["range"])
