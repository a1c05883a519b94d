"""Edits applied as a transaction: preconditions, rollback, atomic writes, modes kept."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from devdoctor.core.fix import Conflict
from devdoctor.fixes.edits import FileEdit
from devdoctor.fixes.journal import apply_all


def test_precondition_conflict_writes_nothing(tmp_path: Path) -> None:
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("one\n")
    b.write_text("two\n")
    edits = [FileEdit.write(a, "ONE\n"), FileEdit.write(b, "TWO\n")]
    b.write_text("changed by the user\n")  # after the plan, before the apply
    with pytest.raises(Conflict, match=r"b\.txt changed since it was checked"):
        apply_all(edits)
    assert a.read_text() == "one\n" and b.read_text() == "changed by the user\n"


def test_a_later_failing_edit_rolls_back_the_earlier_ones(tmp_path: Path) -> None:
    a = tmp_path / "a.txt"
    a.write_text("original\n")
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where a directory should be")
    created = tmp_path / "new.txt"
    edits = [
        FileEdit.write(a, "edited\n"),
        FileEdit.write(created, "new\n"),
        FileEdit.write(blocker / "child.txt", "cannot exist\n"),
    ]
    with pytest.raises(OSError):
        apply_all(edits)
    assert a.read_text() == "original\n"
    assert not created.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "not-a-dir"]  # no temp files


def test_mode_is_kept_and_symlinks_stay_links(tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / "bashrc"
    real.parent.mkdir()
    real.write_text("x\n")
    os.chmod(real, 0o640)
    link = tmp_path / ".bashrc"
    link.symlink_to(real)
    apply_all([FileEdit.write(link, "y\n")])
    assert link.is_symlink() and real.read_text() == "y\n"
    assert stat.S_IMODE(real.stat().st_mode) == 0o640


def test_inverse_restores_bytes_exactly(tmp_path: Path) -> None:
    f = tmp_path / "data.bin"
    original = bytes(range(256)) * 3
    f.write_bytes(original)
    edit = FileEdit.write(f, None)
    apply_all([edit])
    assert not f.exists()
    apply_all([edit.inverse()])
    assert f.read_bytes() == original


def test_preview_is_a_unified_diff(tmp_path: Path) -> None:
    f = tmp_path / "rc"
    f.write_text("keep\nold\n")
    preview = FileEdit.write(f, "keep\nnew\n").preview()
    assert f"--- a{f}" in preview and "-old" in preview and "+new" in preview
    assert f.read_text() == "keep\nold\n"


def test_undo_takes_the_newest_run_even_within_one_second(tmp_path: Path) -> None:
    from devdoctor.fixes.journal import Journal

    book = Journal(tmp_path / "state")
    runs = [
        book.mark(book.begin([f"run {n}"], [], 1_700_000_000.0 + n / 1000), "applied")
        for n in range(20)
    ]  # all in the same second: names alone would order them by chance
    assert book.last_undoable() == runs[-1]
    assert [r.fixes for r in book.runs()] == [r.fixes for r in reversed(runs)]
