"""A real CPU build of torch (its metadata and version.py are read, never imported)."""

from __future__ import annotations

import os
import subprocess
import venv
from pathlib import Path

import pytest

TORCH_CPU = "2.13.0"


@pytest.fixture(scope="session")
def torch_cpu(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv with torch 2.13.0+cpu installed by pip (without its dependencies)."""
    root = tmp_path_factory.mktemp("torchcpu")
    venv.create(root / "env", with_pip=True)
    python = root / "env" / "bin" / "python"
    ran = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", f"torch=={TORCH_CPU}"],
        capture_output=True,
        text=True,
    )
    if ran.returncode != 0:
        reason = f"torch=={TORCH_CPU} could not be installed: {ran.stderr.strip()[-200:]}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return python
