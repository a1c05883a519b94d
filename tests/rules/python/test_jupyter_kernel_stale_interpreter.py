"""DD512 against kernelspecs in the test's HOME, listed the same as by real `jupyter kernelspec
list` (jupyter_client from the package index); a stale one pointed at a real interpreter that
has ipykernel, proven by starting it, and undone byte for byte."""

from __future__ import annotations

import json
import os
import subprocess
import venv
from pathlib import Path

from helpers import Runner


def kernel(home: Path, name: str, python: str) -> Path:
    data = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    folder = data / "jupyter" / "kernels" / name
    folder.mkdir(parents=True)
    spec = folder / "kernel.json"
    spec.write_text(
        json.dumps(
            {
                "argv": [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": name,
                "language": "python",
            }
        )
    )
    return spec


def test_a_stale_kernel(cli: Runner, tmp_path: Path) -> None:
    home = Path(os.environ["HOME"])
    venv.create(tmp_path / "env", with_pip=True)
    python = tmp_path / "env" / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "ipykernel"], check=True, capture_output=True
    )
    stale = kernel(home, "pyk3", "/gone/anaconda/envs/pyk3/bin/python")
    kernel(home, "fine", str(python))
    listed = subprocess.run(
        [str(python.parent / "jupyter"), "kernelspec", "list", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    real = {
        name: spec["spec"]["argv"][0]
        for name, spec in json.loads(listed.stdout)["kernelspecs"].items()
    }
    assert real["pyk3"] == "/gone/anaconda/envs/pyk3/bin/python"
    doc = cli("check", "DD512", "--python", str(python), "--format", "json").json()
    [diag] = doc["results"][0]["diagnostics"]
    assert diag["status"] == "fail" and diag["facts"]["kernel"] == "pyk3"
    before = stale.read_bytes()
    ran = cli("fix", "DD512", "--apply", "--python", str(python))
    assert ran.code == 0, ran.out + ran.err
    assert json.loads(stale.read_text())["argv"][0] == str(python)
    assert cli("check", "DD512", "--python", str(python)).code == 0
    assert cli("undo", "--yes").code == 0
    assert stale.read_bytes() == before


def test_the_missing_interpreter_line(cli: Runner, tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    log.write_text(
        "[E 10:03:01 NotebookApp] Failed to run command:\n"
        "    FileNotFoundError: [Errno 2] No such file or directory: '/Users/kees/anaconda/envs/pyk3/bin/python'\n"
    )
    [match] = cli("diagnose", str(log), "--format", "json").json()["matches"]
    assert match["name"] == "jupyter-kernel-stale-interpreter"
