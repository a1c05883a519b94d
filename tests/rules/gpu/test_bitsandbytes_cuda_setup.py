"""DD408 against a bitsandbytes folder laid out as its wheels ship it (one library per CUDA
build): a stale BNB_CUDA_VERSION, unset for the environment and proven by a new process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from helpers import Runner

SITE = f"lib/python{sys.version_info.major}.{sys.version_info.minor}/site-packages"


def bitsandbytes(venv: Path, version: str, builds: tuple[str, ...]) -> None:
    folder = venv / SITE / "bitsandbytes"
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text("")
    for build in builds:
        (folder / f"libbitsandbytes_cuda{build}.so").write_bytes(b"\x7fELF")
    info = venv / SITE / f"bitsandbytes-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: bitsandbytes\nVersion: {version}\n"
    )


def test_a_stale_bnb_cuda_version_is_unset(cli: Runner, user_venv: Path) -> None:
    bitsandbytes(user_venv, "0.45.0", ("118", "121", "126"))
    python, env = str(user_venv / "bin" / "python"), {"BNB_CUDA_VERSION": "124"}
    doc = cli("check", "DD408", "--python", python, "--format", "json", env=env).json()
    [diag] = doc["results"][0]["diagnostics"]
    assert diag["status"] == "fail" and diag["facts"]["builds"] == ["118", "121", "126"]
    ran = cli("fix", "DD408", "--apply", "--python", python, env=env)
    assert ran.code == 0, ran.out + ran.err
    shell = subprocess.run(
        ["sh", "-c", f'. "{user_venv}/bin/activate" && echo "${{BNB_CUDA_VERSION-unset}}"'],
        env={"BNB_CUDA_VERSION": "124", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    assert shell.stdout.strip() == "unset"
    assert cli("check", "DD408", "--python", python, env=env).code == 0
    assert cli("undo", "--yes").code == 0


def test_a_shipped_build_passes(cli: Runner, user_venv: Path) -> None:
    bitsandbytes(user_venv, "0.45.0", ("118", "124"))
    ran = cli(
        "check",
        "DD408",
        "--python",
        str(user_venv / "bin" / "python"),
        env={"BNB_CUDA_VERSION": "124"},
    )
    assert ran.code == 0


def test_log_lines(cli: Runner, tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    log.write_text(
        "WARNING: BNB_CUDA_VERSION=124 environment variable detected; loading libbitsandbytes_cuda124.so.\n"
    )
    [match] = cli("diagnose", str(log), "--format", "json").json()["matches"]
    assert match["name"] == "bitsandbytes-cuda-setup" and match["facts"]["version"] == "124"
