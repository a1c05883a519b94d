"""Helpers shared by the tests (on sys.path through pytest's `pythonpath`)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.com",
    "GIT_COMMITTER_NAME": "Test Author",
    "GIT_COMMITTER_EMAIL": "author@example.com",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
}


@dataclass
class Ran:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


Runner = Callable[..., Ran]


def git(cwd: Path, *args: str) -> str:
    """Run git; its output without the trailing newline."""
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


def tree_hashes(*roots: Path) -> dict[str, str]:
    """Every file under the roots with its content hash and mode: to prove nothing was written."""
    found = {}
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_file() and not path.is_symlink():
                data = path.read_bytes()
                found[str(path)] = f"{hashlib.sha256(data).hexdigest()}:{path.stat().st_mode:o}"
    return found


# A plugin rule whose fix is an environment change: fails until LD_PRELOAD holds $DDTEST_LIB.
NEEDS_PRELOAD = """
from devdoctor.api import Applicability, Diagnostic, EnvChange, EnvOp, Fix, FixAvailability, Rule, Scope, Status
def check(ctx, settings):
    lib = ctx.env["DDTEST_LIB"]
    if lib in ctx.env.get("LD_PRELOAD", "").split(":"):
        yield Diagnostic(Status.PASS, "preloaded")
        return
    fix = Fix("Preload the test library", Applicability.SAFE,
              env=(EnvChange("LD_PRELOAD", lib, EnvOp.PREPEND),))
    yield Diagnostic(Status.FAIL, "the test library is not preloaded", fixes=(fix,))
RULE = Rule("XX903", "needs-preload", "test rule", Scope.ENVIRONMENT, check, fix_availability=FixAvailability.ALWAYS)
"""


def sh(shell: str, script: str, env: dict[str, str]) -> list[str]:
    """Run a script file, one command a line (csh only sees aliases defined on earlier lines)."""

    with tempfile.NamedTemporaryFile("w", suffix=".sh", delete=False) as f:
        f.write(script.replace("; ", "\n") + "\n")
    proc = subprocess.run(
        [shell, f.name], env={**os.environ, **env}, capture_output=True, text=True, check=True
    )
    os.unlink(f.name)
    return proc.stdout.split()


def require_tool(name: str) -> str:
    """The tool's path. A machine without it skips the test with the reason; under CI=true
    (where .ci/run installs it) a missing tool fails, so CI keeps full coverage."""
    import shutil

    import pytest

    path = shutil.which(name)
    if path:
        return path
    if os.environ.get("CI") == "true":
        pytest.fail(f"{name} is required under CI=true (.ci/run installs it)")
    pytest.skip(f"{name} is not installed")


def stale_lock(path: Path, data: bytes = b"") -> Path:
    """A lock file as a crashed git leaves it: written a minute ago (DD302 never calls a
    younger lock stale)."""
    import time

    path.write_bytes(data)
    old = time.time() - 60
    os.utime(path, (old, old))
    return path
