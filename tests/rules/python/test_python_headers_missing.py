"""DD508: the include folder the examined interpreter reports, with and without Python.h (the
interpreter's own answer is injected through the context: the only boundary the test moves)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from devdoctor.rules.python.python_headers_missing import RULE
from helpers import Runner

from devdoctor.core.context import Context
from devdoctor.core.rule import Status
from devdoctor.core.target import Distribution, probe


def run(facts) -> list:
    ctx = Context(Path.cwd(), {}, target_facts=facts)
    return list(RULE.check(ctx, None))


def test_missing_headers(user_venv: Path, tmp_path: Path) -> None:
    real = probe(str(user_venv / "bin" / "python"), {})
    assert run(real)[0].status is Status.PASS  # this machine has them
    empty = dataclasses.replace(real, paths={**real.paths, "include": str(tmp_path)})
    [warn] = run(empty)
    assert warn.status is Status.WARN and warn.facts["header"] == str(tmp_path / "Python.h")
    with_triton = dataclasses.replace(empty, distributions=(Distribution("triton", "3.1.0"),))
    [fail] = run(with_triton)
    assert fail.status is Status.FAIL and "-dev" in (fail.fix.instructions or "")


def test_compiler_lines(cli: Runner, tmp_path: Path) -> None:
    log = tmp_path / "build.log"
    log.write_text(
        "  psutil/_psutil_common.c:9:10: fatal error: Python.h: No such file or directory\n"
    )
    [match] = cli("diagnose", str(log), "--format", "json").json()["matches"]
    assert match["name"] == "python-headers-missing"
