"""Proof in a new process: run a short Python script in an interpreter with the environment a
fix would give it, and say why it failed (its last line of stderr), never raising."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence


def run_script(
    python: str,
    script: str,
    args: Sequence[str],
    env: Mapping[str, str],
    timeout: float,
    refuse: str = "",
) -> str | None:
    """None when the script exits 0 (and, with `refuse`, prints no line containing it)."""
    try:
        proc = subprocess.run(
            [python, "-c", script, *args],
            env=dict(env),
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"the test process did not finish in {timeout:g} s"
    except OSError as exc:
        return f"cannot start {python}: {exc.strerror}"
    lines = proc.stderr.strip().splitlines()
    if proc.returncode == 0 and not (refuse and any(refuse in line for line in lines)):
        return None
    return lines[-1] if lines else f"exit code {proc.returncode}"
