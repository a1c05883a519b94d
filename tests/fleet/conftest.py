"""The fleet tests' reports: one passing and one failing report from the real CLI."""

from __future__ import annotations

import json
from typing import Any

import pytest

RULES = ("DD102", "DD202", "DD510")


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[str, Any]]:
    """A passing and a failing (stale LD_PRELOAD) report from the real CLI, in a child."""
    import os
    import subprocess
    import sys

    args = ["check", *RULES, "--offline", "--format", "jsonl", "--node-name", "x"]
    out = {}
    home = tmp_path_factory.mktemp("home")  # module scope: before the per-test isolated home
    isolated = {
        "HOME": str(home),
        **{f"XDG_{d}_HOME": str(home / d.lower()) for d in ("CACHE", "CONFIG", "STATE", "DATA")},
    }
    for label, extra in (("good", {}), ("bad", {"LD_PRELOAD": "/opt/stale/libfoo.so"})):
        env = {**os.environ, **isolated, **extra}
        proc = subprocess.run(
            [sys.executable, "-m", "devdoctor", *args],
            env=env,
            capture_output=True,
            text=True,
            cwd=tmp_path_factory.mktemp("cwd"),
            check=False,
        )
        assert proc.stdout.count("\n") == 1, proc.stderr  # one line: what srun/clush collect
        out[label] = json.loads(proc.stdout)
    return out["good"], out["bad"]
