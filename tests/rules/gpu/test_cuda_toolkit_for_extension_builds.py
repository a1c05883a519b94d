"""DD403 with toolkit folders laid out as NVIDIA's installer leaves them (`bin/nvcc`,
`version.json`); the nvcc stand-ins answer `--version` in nvcc's words (the real compiler is not
on these machines). The fix is applied to a real venv and proven by running the nvcc it names."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from gpuhost import torch_files
from helpers import Runner, require_tool

SITE = f"lib/python{sys.version_info.major}.{sys.version_info.minor}/site-packages"


def toolkit(root: Path, version: str) -> Path:
    folder = root / "usr" / "local" / f"cuda-{version}"
    (folder / "bin").mkdir(parents=True)
    nvcc = folder / "bin" / "nvcc"
    nvcc.write_text(
        "#!/bin/sh\necho 'nvcc: NVIDIA (R) Cuda compiler driver'\n"
        f"echo 'Cuda compilation tools, release {version}, V{version}.89'\n"
    )
    nvcc.chmod(0o755)
    (folder / "version.json").write_text(
        json.dumps({"cuda": {"name": "CUDA SDK", "version": f"{version}.1"}})
    )
    return folder


def test_a_mismatched_toolkit_is_swapped_for_the_matching_one(
    cli: Runner, user_venv: Path, tmp_path: Path
) -> None:
    torch_files(user_venv / SITE, "2.3.1+cu118", "11.8")
    root = tmp_path / "root"
    wrong, right = toolkit(root, "12.1"), toolkit(root, "11.8")
    env = {"DEVDOCTOR_SYSTEM_ROOT": str(root), "CUDA_HOME": str(wrong)}
    python = str(user_venv / "bin" / "python")
    doc = cli("check", "DD403", "--python", python, "--format", "json", env=env).json()
    [diag] = doc["results"][0]["diagnostics"]
    assert diag["status"] == "fail" and diag["facts"]["toolkit_cuda"] == "12.1"
    assert diag["fix"]["applicability"] == "safe" and str(right) in diag["fix"]["title"]
    ran = cli("fix", "DD403", "--apply", "--python", python, env=env)
    assert ran.code == 0, ran.out + ran.err
    activate = user_venv / "bin" / "activate"
    shell = subprocess.run(
        ["sh", "-c", f'. "{activate}" && echo "$CUDA_HOME" && nvcc --version'],
        env={"PATH": "/usr/bin:/bin", "CUDA_HOME": str(wrong)},
        capture_output=True,
        text=True,
    )
    assert shell.stdout.splitlines()[0] == str(right) and "release 11.8" in shell.stdout
    assert cli("undo", "--yes").code == 0


def test_no_toolkit_and_cpu_torch_pass(cli: Runner, user_venv: Path, tmp_path: Path) -> None:
    python = str(user_venv / "bin" / "python")
    assert cli("check", "DD403", "--python", python).code == 0
    torch_files(user_venv / SITE, "2.3.1+cu118", "11.8")
    env = {"DEVDOCTOR_SYSTEM_ROOT": str(tmp_path), "PATH": "/usr/bin:/bin"}
    ran = cli("check", "DD403", "--python", python, env=env)
    assert ran.code == 0 and "no CUDA toolkit is set up" in ran.out


def test_the_real_nvcc_on_path(cli: Runner, user_venv: Path) -> None:
    """The CUDA toolkit this machine has, found the way torch.utils.cpp_extension finds it."""
    nvcc = require_tool("nvcc")
    release = subprocess.run([nvcc, "--version"], capture_output=True, text=True).stdout
    major, minor = re.search(r"release (\d+)\.(\d+)", release).groups()
    python = str(user_venv / "bin" / "python")
    torch_files(user_venv / SITE, f"2.9.0+cu{major}{minor}", f"{major}.{minor}")
    assert cli("check", "DD403", "--python", python).code == 0
    other = "11.8" if major != "11" else "12.6"
    (user_venv / SITE / "torch" / "version.py").write_text(f"cuda = '{other}'\n")
    doc = cli("check", "DD403", "--python", python, "--format", "json").json()
    assert doc["results"][0]["diagnostics"][0]["facts"]["toolkit_cuda"] == f"{major}.{minor}"
    assert doc["results"][0]["status"] == "fail"


def test_log_lines(cli: Runner, tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    log.write_text(
        "      OSError: CUDA_HOME environment variable is not set. Please set it to your CUDA install root.\n"
    )
    [match] = cli("diagnose", str(log), "--format", "json").json()["matches"]
    assert match["name"] == "cuda-toolkit-for-extension-builds"
