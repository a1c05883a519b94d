"""DD404: the compute capability the stub libcuda reports (or the model in the driver's files)
against the architectures of torch's CUDA flavour."""

from __future__ import annotations

import sys
from pathlib import Path

from gpuhost import gpu_host, torch_files
from helpers import Runner

SITE = f"lib/python{sys.version_info.major}.{sys.version_info.minor}/site-packages"
RTX5090 = ("NVIDIA GeForce RTX 5090",)


def diag(cli: Runner, venv: Path, env: dict[str, str]) -> dict:
    doc = cli(
        "check", "DD404", "--python", str(venv / "bin" / "python"), "--format", "json", env=env
    )
    return doc.json()["results"][0]["diagnostics"][0]


def test_blackwell_on_a_cu124_build(cli: Runner, user_venv: Path, tmp_path: Path) -> None:
    torch_files(user_venv / SITE, "2.5.1+cu124", "12.4")
    found = diag(
        cli, user_venv, gpu_host(tmp_path / "h", models=RTX5090, capability=120, cuda_version=12080)
    )
    assert found["status"] == "fail" and found["facts"]["capability"] == "sm_120"
    assert found["fix"]["applicability"] == "display-only"  # 2.5 has no build for sm_120


def test_a_release_with_a_build_for_it_gets_that_build(
    cli: Runner, user_venv: Path, tmp_path: Path
) -> None:
    torch_files(user_venv / SITE, "2.7.1+cu126", "12.6")
    found = diag(
        cli, user_venv, gpu_host(tmp_path / "h", models=RTX5090, capability=120, cuda_version=12080)
    )
    assert found["fix"]["title"] == "Install torch 2.7.1+cu128 (its build carries sm_120)"


def test_the_model_table_when_the_driver_cannot_be_asked(
    cli: Runner, user_venv: Path, tmp_path: Path
) -> None:
    torch_files(user_venv / SITE, "2.5.1+cu124", "12.4")
    env = gpu_host(tmp_path / "h", models=RTX5090, capability=120)
    env["LD_LIBRARY_PATH"] = str(tmp_path)  # no libcuda.so.1 there
    assert diag(cli, user_venv, env)["facts"]["capability"] == "sm_120"


def test_an_ada_gpu_runs_sm86_cubins(cli: Runner, user_venv: Path, tmp_path: Path) -> None:
    torch_files(user_venv / SITE, "2.5.1+cu124", "12.4")
    assert diag(cli, user_venv, gpu_host(tmp_path / "h", capability=89))["status"] == "pass"


def test_log_lines(cli: Runner, tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    log.write_text(
        "NVIDIA GeForce RTX 5090 with CUDA capability sm_120 is not compatible with the current "
        "PyTorch installation.\nThe current PyTorch install supports CUDA capabilities sm_50 "
        "sm_60 sm_70 sm_75 sm_80 sm_86 sm_90.\n"
    )
    names = {m["name"] for m in cli("diagnose", str(log), "--format", "json").json()["matches"]}
    assert names == {"gpu-arch-not-in-torch-build"}
