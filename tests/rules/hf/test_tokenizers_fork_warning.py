"""DD208: the warning in both of its lines; the fix from the log persisted for a real venv."""

from __future__ import annotations

import subprocess
from pathlib import Path

from helpers import Runner

WARNING = (
    "huggingface/tokenizers: The current process just got forked, after parallelism has already "
    "been used. Disabling parallelism to avoid deadlocks...\nTo disable this warning, you can "
    "either:\n\t- Avoid using `tokenizers` before the fork if possible\n\t- Explicitly set the "
    "environment variable TOKENIZERS_PARALLELISM=(true | false)\n"
)


def test_the_warning_and_its_fix(cli: Runner, tmp_path: Path, user_venv: Path) -> None:
    log = tmp_path / "train.log"
    log.write_text(WARNING * 3)
    [match] = cli("diagnose", str(log), "--format", "json").json()["matches"]
    assert match["name"] == "tokenizers-fork-warning" and match["count"] >= 1
    python = str(user_venv / "bin" / "python")
    ran = cli(
        "fix", "tokenizers-fork-warning", "--from-log", str(log), "--apply", "--python", python
    )
    assert ran.code == 0, ran.out + ran.err
    shell = subprocess.run(
        ["sh", "-c", f'. "{user_venv}/bin/activate" && echo "$TOKENIZERS_PARALLELISM"'],
        capture_output=True,
        text=True,
    )
    assert shell.stdout.strip() == "false"
    assert cli("undo", "--yes").code == 0


def test_a_value_tokenizers_does_not_read(cli: Runner, user_venv: Path) -> None:
    site = next(user_venv.glob("lib/python*/site-packages"))
    info = site / "tokenizers-0.20.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: tokenizers\nVersion: 0.20.0\n")
    python = str(user_venv / "bin" / "python")
    assert cli("check", "DD208", "--python", python).code == 0
    doc = cli(
        "check",
        "DD208",
        "--python",
        python,
        "--format",
        "json",
        env={"TOKENIZERS_PARALLELISM": "maybe"},
    ).json()
    assert doc["results"][0]["status"] == "warn"
