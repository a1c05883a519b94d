"""DD402: the driver's CUDA (from the stub libcuda, as cuDriverGetVersion says it) against the
CUDA torch was built for."""

from __future__ import annotations

import sys
from pathlib import Path

from gpuhost import gpu_host, torch_files
from helpers import Runner

SITE = f"lib/python{sys.version_info.major}.{sys.version_info.minor}/site-packages"


def check(cli: Runner, venv: Path, env: dict[str, str]) -> dict:
    doc = cli(
        "check",
        "cuda-driver-too-old-for-torch",
        "--python",
        str(venv / "bin" / "python"),
        "--format",
        "json",
        env=env,
    )
    return doc.json()["results"][0]["diagnostics"][0]


def test_an_older_major_fails_an_older_minor_warns(
    cli: Runner, user_venv: Path, tmp_path: Path
) -> None:
    torch_files(user_venv / SITE, "2.6.0+cu126", "12.6")
    old = check(cli, user_venv, gpu_host(tmp_path / "a", driver="470.82.01", cuda_version=11040))
    assert old["status"] == "fail" and old["facts"]["driver_cuda"] == "11.4"
    assert old["fix"]["applicability"] == "display-only"
    assert "560.28 or newer" in old["fix"]["instructions"]
    minor = check(cli, user_venv, gpu_host(tmp_path / "b", driver="535.54.03", cuda_version=12020))
    assert minor["status"] == "warn"
    assert [a["title"] for a in minor["alternatives"]] == [
        "Install torch 2.6.0+cu118 (a build this driver runs)"
    ]


def test_a_new_enough_driver_and_no_gpu_pass(cli: Runner, user_venv: Path, tmp_path: Path) -> None:
    torch_files(user_venv / SITE, "2.6.0+cu126", "12.6")
    assert check(cli, user_venv, gpu_host(tmp_path / "a", cuda_version=12080))["status"] == "pass"
    (tmp_path / "empty").mkdir()
    assert (
        check(cli, user_venv, {"DEVDOCTOR_SYSTEM_ROOT": str(tmp_path / "empty")})["status"]
        == "pass"
    )


def test_the_message_in_its_forms(cli: Runner, tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    log.write_text(
        "UserWarning: CUDA initialization: The NVIDIA driver on your system is too old (found "
        "version 11040). Please update your GPU driver by downloading and installing a new\n"
    )
    [match] = cli("diagnose", str(log), "--format", "json").json()["matches"]
    assert match["name"] == "cuda-driver-too-old-for-torch" and match["facts"]["found"] == "11040"
