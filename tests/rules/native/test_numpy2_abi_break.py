"""DD105 with real NumPy: a tiny C extension compiled against NumPy 1.26's headers, imported in
a real venv holding NumPy 2 (NumPy's own error), found from the files, fixed by installing NumPy
1.26.4 from the package index (proven by importing it in a new process), and undone."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest
from helpers import Runner

NUMPY1, NUMPY2 = "1.26.4", "2.2.6"
SITE = f"lib/python{sys.version_info.major}.{sys.version_info.minor}/site-packages"
SOURCE = """
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <numpy/arrayobject.h>
static struct PyModuleDef mod = {PyModuleDef_HEAD_INIT, "np1ext", NULL, -1, NULL};
PyMODINIT_FUNC PyInit_np1ext(void) { import_array(); return PyModule_Create(&mod); }
"""


def pip(python: Path, *args: str) -> None:
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", *args], check=True, capture_output=True
    )


@pytest.fixture(scope="session")
def numpy1_extension(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """np1ext, compiled against NumPy 1.26's headers (built once per session)."""
    root = tmp_path_factory.mktemp("np1build")
    venv.create(root / "venv", with_pip=True)
    python = root / "venv" / "bin" / "python"
    pip(python, f"numpy=={NUMPY1}")
    include = subprocess.run(
        [str(python), "-c", "import numpy; print(numpy.get_include())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (root / "np1ext.c").write_text(SOURCE)
    out = root / f"np1ext{sysconfig.get_config_var('EXT_SUFFIX')}"
    subprocess.run(
        [
            "gcc",
            "-shared",
            "-fPIC",
            f"-I{sysconfig.get_paths()['include']}",
            f"-I{include}",
            "-o",
            str(out),
            str(root / "np1ext.c"),
        ],
        check=True,
    )
    return out


@pytest.fixture
def numpy2_venv(tmp_path: Path, numpy1_extension: Path) -> Path:
    venv.create(tmp_path / "env", with_pip=True)
    python = tmp_path / "env" / "bin" / "python"
    pip(python, f"numpy=={NUMPY2}")
    (tmp_path / "env" / SITE / numpy1_extension.name).write_bytes(numpy1_extension.read_bytes())
    return python


def version(python: Path) -> str:
    return subprocess.run(
        [str(python), "-c", "import numpy; print(numpy.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def test_found_fixed_and_undone(cli: Runner, numpy2_venv: Path, tmp_path: Path) -> None:
    python = str(numpy2_venv)
    failed = subprocess.run([python, "-c", "import np1ext"], capture_output=True, text=True)
    assert "compiled using NumPy 1.x" in failed.stderr  # NumPy's own words
    log = tmp_path / "import.log"
    log.write_text(failed.stderr)
    matches = cli("diagnose", str(log), "--format", "json").json()["matches"]
    assert {m["name"] for m in matches} == {"numpy2-abi-break"}

    doc = cli("check", "numpy2-abi-break", "--python", python, "--format", "json").json()
    [diag] = doc["results"][0]["diagnostics"]
    assert diag["status"] == "fail" and diag["facts"]["numpy"] == NUMPY2
    assert [Path(p).name for p in diag["facts"]["offenders"]] == [
        f"np1ext{sysconfig.get_config_var('EXT_SUFFIX')}"
    ]
    assert diag["fix"]["applicability"] == "unsafe"

    ran = cli("fix", "numpy2-abi-break", "--apply", "--yes", "--python", python)
    assert ran.code == 0, ran.out + ran.err
    assert version(numpy2_venv) == NUMPY1
    assert subprocess.run([python, "-c", "import np1ext"], capture_output=True).returncode == 0
    assert cli("check", "numpy2-abi-break", "--python", python).code == 0

    assert cli("undo", "--yes").code == 0
    assert version(numpy2_venv) == NUMPY2


def test_numpy2_builds_and_numpy1_environments_pass(cli: Runner, user_venv: Path) -> None:
    ran = cli("check", "numpy2-abi-break", "--python", str(user_venv / "bin" / "python"))
    assert ran.code == 0 and "no compiled libraries in this environment" in ran.out
