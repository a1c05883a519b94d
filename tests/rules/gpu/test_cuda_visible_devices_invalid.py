"""DD406: CUDA_VISIBLE_DEVICES against the GPUs a two-GPU host made of the driver's files and the
stub libcuda reports."""

from __future__ import annotations

from pathlib import Path

import pytest
from gpuhost import gpu_host
from helpers import Runner

TWO = ("NVIDIA A100-SXM4-40GB", "NVIDIA A100-SXM4-40GB")


@pytest.mark.parametrize(
    "value, status, fix",
    [
        ("4,5", "fail", "run: unset CUDA_VISIBLE_DEVICES"),
        ("0,4,1", "fail", "run: export CUDA_VISIBLE_DEVICES=0"),
        ("1,0", "pass", None),
        ("GPU-8d2c0b9e-13f4-2b6a-9c1e-000000000001", "pass", None),
        ("GPU-ffffffff", "fail", "run: unset CUDA_VISIBLE_DEVICES"),
        ("", "warn", "run: unset CUDA_VISIBLE_DEVICES"),
    ],
)
def test_values(cli: Runner, tmp_path: Path, value: str, status: str, fix: str | None) -> None:
    env = {**gpu_host(tmp_path / "h", models=TWO), "CUDA_VISIBLE_DEVICES": value}
    doc = cli("check", "cuda-visible-devices-invalid", "--format", "json", env=env).json()
    [diag] = doc["results"][0]["diagnostics"]
    assert diag["status"] == status
    assert (diag["fix"] or {}).get("instructions") == fix


def test_unset_or_no_gpu_passes(cli: Runner, tmp_path: Path) -> None:
    (tmp_path / "none").mkdir()
    env = {"DEVDOCTOR_SYSTEM_ROOT": str(tmp_path / "none"), "CUDA_VISIBLE_DEVICES": "7"}
    assert cli("check", "DD406", env=env).code == 0


def test_no_gpus_available_is_only_possible(cli: Runner, tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    log.write_text("RuntimeError: No CUDA GPUs are available\n")
    [match] = cli("diagnose", str(log), "--format", "json").json()["matches"]
    assert match["name"] == "cuda-visible-devices-invalid" and match["certainty"] == "possible"
