"""The template rule, run the way a rule's test should run it: a real Context over a real
folder, the engine, then the fix applied through the journal and undone."""

from __future__ import annotations

import importlib
from pathlib import Path

from devdoctor.api import Context, Status
from devdoctor.core import engine
from devdoctor.fixes.journal import apply_all


def test_the_template_finds_fixes_and_undoes(tmp_path: Path) -> None:
    rule = importlib.import_module("devdoctor.rules._template").RULE
    ctx = Context(tmp_path, {})
    result = engine.run([rule], ctx)[0]
    assert result.status is Status.FAIL
    fix = result.diagnostics[0].fix
    assert fix is not None and fix.edits
    done = apply_all(fix.edits)
    assert (tmp_path / "EXAMPLE.txt").read_text() == "hello\n"
    assert engine.run([rule], Context(tmp_path, {}))[0].status is Status.PASS
    apply_all([edit.inverse() for edit in reversed(done)])
    assert not (tmp_path / "EXAMPLE.txt").exists()
