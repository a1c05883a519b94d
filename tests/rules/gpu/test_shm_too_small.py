"""DD405 on a real small tmpfs mounted on /dev/shm in a private mount namespace (root only):
the check there, and the real failure a worker meets — a bus error writing shared memory that
the tmpfs cannot hold."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from gpuhost import torch_files
from helpers import Runner, require_tool

SITE = f"lib/python{sys.version_info.major}.{sys.version_info.minor}/site-packages"
WRITE_64MB = (
    "from multiprocessing import shared_memory\n"
    "m = shared_memory.SharedMemory(create=True, size=64 << 20)\n"
    "m.buf[:] = b'x' * (64 << 20)\n"
)


@pytest.fixture
def small_shm() -> list[str]:
    """A command prefix running its command where /dev/shm is a 16 MB tmpfs."""
    require_tool("unshare")
    if os.geteuid() != 0:
        if os.environ.get("CI") == "true":
            pytest.fail("a private /dev/shm needs root under CI=true")
        pytest.skip("a private /dev/shm needs root (a mount namespace)")
    return [
        "unshare",
        "-m",
        "sh",
        "-c",
        'mount -t tmpfs -o size=16m tmpfs /dev/shm && exec "$@"',
        "sh",
    ]


def test_a_16mb_shm_fails_where_torch_is(
    cli: Runner, small_shm: list[str], user_venv: Path
) -> None:
    crashed = subprocess.run([*small_shm, sys.executable, "-c", WRITE_64MB], capture_output=True)
    assert crashed.returncode == -7, crashed  # SIGBUS: what kills a DataLoader worker
    torch_files(user_venv / SITE, "2.13.0+cpu", None)
    ran = subprocess.run(
        [
            *small_shm,
            sys.executable,
            "-m",
            "devdoctor",
            "check",
            "shm-too-small",
            "--python",
            str(user_venv / "bin" / "python"),
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
    )
    [diag] = json.loads(ran.stdout)["results"][0]["diagnostics"]
    assert diag["status"] == "fail" and diag["facts"]["size_mb"] == 16
    assert "--shm-size" in diag["fix"]["instructions"] or "remount" in diag["fix"]["instructions"]


def test_without_torch_or_with_room_it_passes(
    cli: Runner, small_shm: list[str], user_venv: Path
) -> None:
    python = str(user_venv / "bin" / "python")
    ran = subprocess.run(
        [*small_shm, sys.executable, "-m", "devdoctor", "check", "DD405", "--python", python],
        capture_output=True,
        text=True,
    )
    assert ran.returncode == 0 and "torch is not installed" in ran.stdout


@pytest.mark.parametrize(
    "line, certain",
    [
        (
            "ERROR: Unexpected bus error encountered in worker. This might be caused by insufficient shared memory (shm).",
            True,
        ),
        (
            "ubuntu:9621:9688 [3] misc/shmutils.cc:112 NCCL WARN Error while creating shared memory segment /dev/shm/nccl-KWfVyt (size 5967872)",
            True,
        ),
        ("RuntimeError: DataLoader worker (pid(s) 3216) exited unexpectedly", False),
    ],
)
def test_log_lines(cli: Runner, tmp_path: Path, line: str, certain: bool) -> None:
    log = tmp_path / "x.log"
    log.write_text(line + "\n")
    [match] = cli("diagnose", str(log), "--format", "json").json()["matches"]
    assert match["name"] == "shm-too-small" and (match["certainty"] == "certain") is certain
