"""DD510 in a real child whose soft open-files limit is lowered with setrlimit."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path

from helpers import Runner


def check(limit: int | None) -> dict:
    def lower() -> None:
        if limit is not None:
            resource.setrlimit(
                resource.RLIMIT_NOFILE, (limit, resource.getrlimit(resource.RLIMIT_NOFILE)[1])
            )

    ran = subprocess.run(
        [sys.executable, "-m", "devdoctor", "check", "DD510", "--format", "json"],
        capture_output=True,
        text=True,
        preexec_fn=lower,
    )
    return json.loads(ran.stdout)["results"][0]["diagnostics"][0]


def test_a_low_soft_limit_fails() -> None:
    low = check(256)
    assert low["status"] == "fail" and low["facts"]["soft"] == 256
    assert "ulimit -n" in low["fix"]["instructions"]
    assert check(8192)["status"] == "pass"


def test_the_errors(cli: Runner, tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    log.write_text("OSError: [Errno 24] Too many open files\n")
    [match] = cli("diagnose", str(log), "--format", "json").json()["matches"]
    assert match["name"] == "too-many-open-files" and match["certainty"] == "certain"
