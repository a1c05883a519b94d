"""DD401: a real torch CPU wheel (installed by pip) on a GPU host made of the driver's files and
a stub libcuda.so.1; the fix plan (not applied: PyTorch's index is out of reach here)."""

from __future__ import annotations

from pathlib import Path

from gpuhost import gpu_host
from helpers import Runner


def test_cpu_build_on_a_gpu_host(cli: Runner, torch_cpu: Path, tmp_path: Path) -> None:
    env = gpu_host(tmp_path / "host", driver="570.86.10", cuda_version=12080)
    python = str(torch_cpu)
    doc = cli(
        "check", "torch-cpu-wheel-on-gpu-host", "--python", python, "--format", "json", env=env
    )
    [diag] = doc.json()["results"][0]["diagnostics"]
    assert diag["status"] == "fail"
    assert diag["facts"]["torch"] == "2.13.0+cpu"
    assert diag["facts"]["gpu"] == "NVIDIA GeForce RTX 4090 (driver 570.86.10, CUDA 12.8)"
    assert diag["fix"]["applicability"] == "unsafe"
    plan = cli("fix", "torch-cpu-wheel-on-gpu-host", "--python", python, env=env)
    assert "torch: 2.13.0+cpu -> 2.13.0+cu128" in plan.out, plan.out  # the newest <= CUDA 12.8
    assert "--extra-index-url https://download.pytorch.org/whl/cu128" in plan.out


def test_a_driver_too_old_for_every_build_is_display_only(
    cli: Runner, torch_cpu: Path, tmp_path: Path
) -> None:
    env = gpu_host(tmp_path / "host", driver="550.90.07", cuda_version=12040)
    doc = cli("check", "DD401", "--python", str(torch_cpu), "--format", "json", env=env)
    [diag] = doc.json()["results"][0]["diagnostics"]
    assert diag["fix"]["applicability"] == "display-only"
    assert "upgrade the driver" in diag["fix"]["instructions"]


def test_no_gpu_passes(cli: Runner, torch_cpu: Path, tmp_path: Path) -> None:
    empty = tmp_path / "nogpu"
    empty.mkdir()
    ran = cli(
        "check",
        "torch-cpu-wheel-on-gpu-host",
        "--python",
        str(torch_cpu),
        env={"DEVDOCTOR_SYSTEM_ROOT": str(empty)},
    )
    assert ran.code == 0 and "no NVIDIA GPU here" in ran.out


def test_log_lines(cli: Runner, tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    log.write_text(
        '    raise AssertionError("Torch not compiled with CUDA enabled")\n'
        "AssertionError: Torch not compiled with CUDA enabled\n"
    )
    [match] = cli("diagnose", str(log), "--format", "json").json()["matches"]
    assert match["name"] == "torch-cpu-wheel-on-gpu-host" and match["certainty"] == "certain"
