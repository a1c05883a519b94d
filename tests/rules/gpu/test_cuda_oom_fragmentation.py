"""DD407: PyTorch's out-of-memory messages, weighed by their figures; the fix from the log,
persisted for a real venv and seen by a new process."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from helpers import Runner

FRAGMENTED = (
    "torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 20.00 MiB. GPU 0 has a "
    "total capacity of 4.00 GiB of which 2.35 GiB is free. Of the allocated memory 825.15 MiB is "
    "allocated by PyTorch, and 24.85 MiB is reserved by PyTorch but unallocated."
)


@pytest.mark.parametrize(
    "line, found",
    [
        (FRAGMENTED, True),
        (
            "RuntimeError: CUDA out of memory. Tried to allocate 20.00 MiB (GPU 0; 4.00 GiB total "
            "capacity; 1.20 GiB already allocated; 2.35 GiB free; 1.60 GiB reserved in total by PyTorch)",
            True,
        ),
        # genuine: nothing free, nothing held back
        (
            "torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has a "
            "total capacity of 23.69 GiB of which 1.02 GiB is free. Of the allocated memory 21.50 GiB is "
            "allocated by PyTorch, and 300.00 MiB is reserved by PyTorch but unallocated.",
            False,
        ),
        (
            "RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 23.69 GiB total "
            "capacity; 21.20 GiB already allocated; 1.02 GiB free; 21.60 GiB reserved in total by PyTorch)",
            False,
        ),
    ],
)
def test_figures_decide(cli: Runner, tmp_path: Path, line: str, found: bool) -> None:
    log = tmp_path / "oom.log"
    log.write_text(line + "\n")
    names = [m["name"] for m in cli("diagnose", str(log), "--format", "json").json()["matches"]]
    assert names == (["cuda-oom-fragmentation"] if found else [])


def test_the_fix_from_the_log(cli: Runner, tmp_path: Path, user_venv: Path) -> None:
    log = tmp_path / "oom.log"
    log.write_text(FRAGMENTED + "\n")
    python = str(user_venv / "bin" / "python")
    ran = cli(
        "fix", "cuda-oom-fragmentation", "--from-log", str(log), "--apply", "--python", python
    )
    assert ran.code == 0, ran.out + ran.err
    shell = subprocess.run(
        ["sh", "-c", f'. "{user_venv}/bin/activate" && echo "$PYTORCH_CUDA_ALLOC_CONF"'],
        capture_output=True,
        text=True,
    )
    assert shell.stdout.strip() == "expandable_segments:True"
    assert cli("undo", "--yes").code == 0
