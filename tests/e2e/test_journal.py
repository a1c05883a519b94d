"""The journal is data read back from disk: undo acts only on entries devdoctor can have
written, and one bad entry never blocks the others."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest
from helpers import Runner, stale_lock


def journal(isolated: Path) -> Path:
    return isolated / ".state" / "devdoctor" / "journal"


def entry(run_id: str, edits: list[dict], created: object = 1.0e9) -> dict:
    return {"id": run_id, "created": created, "status": "applied", "fixes": ["x"], "edits": edits}


def file_edit(path: str, before: bytes | None, after: bytes | None) -> dict:
    b64 = lambda d: None if d is None else base64.b64encode(d).decode()  # noqa: E731
    return {"kind": "file", "path": path, "before": b64(before), "after": b64(after)}


def a_real_run(cli: Runner, repo: Path) -> Path:
    """A lock removed by `fix --apply`: a genuine journal entry to undo."""
    lock = stale_lock(repo / ".git" / "index.lock", b"lock")
    assert cli("fix", "DD302", "--apply", cwd=repo).code == 0
    assert not lock.exists()
    return lock


@pytest.mark.parametrize(
    "edits",
    [
        [file_edit("../../home/victim/.bashrc", b"", None)],  # relative, climbing out
        [file_edit("/tmp/x/../../etc/passwd", None, b"root::0:0::/:/bin/sh\n")],
        [{"kind": "package", "python": "/bin/sh", "name": "x", "before": None, "after": "1"}],
        [
            {
                "kind": "package",
                "python": "/usr/bin/python3",
                "name": "x; rm -rf ~",
                "before": None,
                "after": None,
            }
        ],
        [{"kind": "ref", "repo": "/tmp", "ref": "HEAD", "before": "0" * 40, "after": "1" * 40}],
        [{"kind": "file", "type": "os:system", "path": "/tmp/y", "before": None, "after": None}],
    ],
    ids=["relative", "dotdot", "not-python", "pip-args", "not-a-branch", "foreign-class"],
)
def test_a_hand_written_entry_is_never_acted_on(
    cli: Runner, repo: Path, isolated: Path, edits: list[dict]
) -> None:
    lock = a_real_run(cli, repo)
    planted = journal(isolated) / "20991231T235959-abcdef.json"  # newer than the real run
    planted.write_text(json.dumps(entry("20991231T235959-abcdef", edits, 4.0e9)))
    planted.chmod(0o600)
    ran = cli("undo", "--yes", cwd=repo)
    assert ran.code == 0, ran.out + ran.err
    assert lock.read_bytes() == b"lock"  # the real run was undone, the planted one ignored


def test_bad_entries_never_block_a_good_run(cli: Runner, repo: Path, isolated: Path) -> None:
    lock = a_real_run(cli, repo)
    folder = journal(isolated)
    (folder / "20991231T235959-aaaaaa.json").write_text(
        json.dumps(entry("20991231T235959-aaaaaa", [], created="yesterday"))
    )
    os.mkfifo(folder / "20991231T235959-bbbbbb.json")  # would hang a plain read
    wide = folder / "20991231T235959-cccccc.json"
    wide.write_text(json.dumps(entry("20991231T235959-cccccc", [], 4.0e9)))
    wide.chmod(0o666)  # another user could have written it
    (folder / "20991231T235959-dddddd.json").write_text("{not json")
    listed = cli("undo", "--list", timeout=20)
    assert listed.code == 0 and "DD302" in listed.out and "cccccc" not in listed.out
    assert cli("undo", "--yes", cwd=repo, timeout=20).code == 0
    assert lock.read_bytes() == b"lock"


def test_journal_files_are_private(cli: Runner, repo: Path, isolated: Path) -> None:
    a_real_run(cli, repo)
    folder = journal(isolated)
    for made in (folder, folder.parent, folder.parent.parent):  # .state/devdoctor/journal
        assert made.stat().st_mode & 0o077 == 0, made
    for path in folder.iterdir():
        assert path.stat().st_mode & 0o077 == 0, path
