"""DD511: real protobuf 4 from the package index and a package whose _pb2.py is in the old
generator's style: protobuf's real TypeError, the check, the fix proven by importing it, undo."""

from __future__ import annotations

import subprocess
import venv
from pathlib import Path

import pytest
from helpers import Runner

OLD_PB2 = """
from google.protobuf import descriptor as _descriptor
DESCRIPTOR = _descriptor.FileDescriptor(name='old.proto', package='old', syntax='proto3',
    serialized_pb=b'\\n\\told.proto\\x12\\x03old\\"\\x10\\n\\x03Msg\\x12\\t\\n\\x01x\\x18\\x01 \\x01(\\x05\\x62\\x06proto3')
_MSG_X = _descriptor.FieldDescriptor(name='x', full_name='old.Msg.x', index=0, number=1, type=5,
    cpp_type=1, label=1, has_default_value=False, default_value=0, message_type=None,
    enum_type=None, containing_type=None, is_extension=False, extension_scope=None,
    serialized_options=None, file=DESCRIPTOR)
"""


@pytest.fixture
def env(tmp_path: Path) -> Path:
    venv.create(tmp_path / "env", with_pip=True)
    python = tmp_path / "env" / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "protobuf==4.25.3"],
        check=True,
        capture_output=True,
    )
    site = next((tmp_path / "env").glob("lib/python*/site-packages"))
    (site / "oldproto").mkdir()
    (site / "oldproto" / "__init__.py").write_text("")
    (site / "oldproto" / "old_pb2.py").write_text(OLD_PB2)
    info = site / "oldproto-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: oldproto\nVersion: 1.0\nRequires-Dist: protobuf>=3.0\n"
    )
    (info / "RECORD").write_text("oldproto/__init__.py,,\noldproto/old_pb2.py,,\n")
    return python


def test_found_fixed_and_undone(cli: Runner, env: Path, tmp_path: Path) -> None:
    python = str(env)
    failed = subprocess.run(
        [python, "-c", "import oldproto.old_pb2"], capture_output=True, text=True
    )
    assert "Descriptors cannot be created directly" in failed.stderr, failed.stderr
    log = tmp_path / "err.log"
    log.write_text(failed.stderr)
    names = {m["name"] for m in cli("diagnose", str(log), "--format", "json").json()["matches"]}
    assert names == {"protobuf-generated-code-too-old"}
    doc = cli("check", "DD511", "--python", python, "--format", "json").json()
    [diag] = doc["results"][0]["diagnostics"]
    assert diag["status"] == "fail" and diag["facts"]["protobuf"] == "4.25.3"
    ran = cli("fix", "DD511", "--apply", "--python", python)
    assert ran.code == 0, ran.out + ran.err
    shell = subprocess.run(
        ["sh", "-c", f'. "{env.parent}/activate" && python -c "import oldproto.old_pb2"'],
        capture_output=True,
        text=True,
    )
    assert shell.returncode == 0, shell.stderr
    assert cli("undo", "--yes").code == 0
