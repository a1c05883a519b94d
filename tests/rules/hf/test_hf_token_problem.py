"""DD205: tokens stored the ways users store them (HF_TOKEN, the token file under HF_HOME,
HF_TOKEN_PATH), a loopback hub that answers 401 to a bad token, huggingface_hub's own get_token()
as the proof, and the token never printed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from fakehub import GOOD_TOKEN, hub, url
from helpers import Runner

BAD = "hf_" + "B" * 34
OTHER = "hf_" + "O" * 34


def saved(home: Path, token: str) -> Path:
    file = home / "token"
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(token)
    return file


def test_a_stale_hf_token_is_unset(cli: Runner, user_venv: Path, tmp_path: Path) -> None:
    hf_home = tmp_path / "hf"
    saved(hf_home, GOOD_TOKEN)
    env = {"HF_HOME": str(hf_home), "HF_TOKEN": OTHER, "HF_HUB_OFFLINE": "1"}
    python = str(user_venv / "bin" / "python")
    ran = cli("check", "hf-token-problem", "--python", python, "--format", "json", env=env)
    [diag] = ran.json()["results"][0]["diagnostics"]
    assert diag["status"] == "fail" and "wins silently" in diag["message"]
    assert OTHER not in ran.out and GOOD_TOKEN not in ran.out
    fixed = cli("fix", "hf-token-problem", "--apply", "--python", python, env=env)
    assert fixed.code == 0, fixed.out + fixed.err
    assert OTHER not in fixed.out + fixed.err
    assert cli("undo", "--yes").code == 0


def test_a_stranded_token_is_pointed_at(cli: Runner, user_venv: Path, tmp_path: Path) -> None:
    default = saved(
        Path(
            os.environ["XDG_CACHE_HOME"]
            if os.environ.get("XDG_CACHE_HOME")
            else Path(os.environ["HOME"]) / ".cache"
        )
        / "huggingface",
        GOOD_TOKEN,
    )
    env = {"HF_HOME": str(tmp_path / "moved"), "HF_HUB_OFFLINE": "1"}
    python = str(user_venv / "bin" / "python")
    doc = cli("check", "DD205", "--python", python, "--format", "json", env=env).json()
    [diag] = doc["results"][0]["diagnostics"]
    assert diag["status"] == "fail" and diag["facts"]["saved_in"] == str(default)
    fixed = cli("fix", "DD205", "--apply", "--python", python, env=env)
    assert fixed.code == 0, fixed.out + fixed.err
    assert cli("check", "DD205", "--python", python, env=env).code == 0
    assert cli("undo", "--yes").code == 0


def test_a_rejected_token_and_a_valid_one(cli: Runner, user_venv: Path, tmp_path: Path) -> None:
    python = str(user_venv / "bin" / "python")
    with hub() as server:
        env = {"HF_HOME": str(tmp_path / "hf"), "HF_ENDPOINT": url(server)}
        saved(tmp_path / "hf", BAD)
        ran = cli("check", "DD205", "--python", python, "--format", "json", env=env)
        [diag] = ran.json()["results"][0]["diagnostics"]
        assert diag["status"] == "fail" and "(401)" in diag["message"] and BAD not in ran.out
        saved(tmp_path / "hf", GOOD_TOKEN)
        assert cli("check", "DD205", "--python", python, env=env).code == 0
        asked = len(server.requests)
        offline = cli("check", "DD205", "--python", python, "--offline", env=env)
        assert offline.code == 0 and len(server.requests) == asked  # --offline: nothing sent


def test_the_paths_are_huggingface_hubs(tmp_path: Path) -> None:
    """The resolution mirrors huggingface_hub.constants, asked in a child with the same env."""
    from devdoctor.rules.hf import _paths

    for env in (
        {"HOME": str(tmp_path)},
        {"HOME": str(tmp_path), "HF_HOME": str(tmp_path / "x")},
        {
            "HOME": str(tmp_path),
            "XDG_CACHE_HOME": str(tmp_path / "c"),
            "HF_TOKEN_PATH": str(tmp_path / "t"),
            "HF_HUB_CACHE": str(tmp_path / "h"),
        },
    ):
        script = (
            "import json\nfrom huggingface_hub import constants as c\n"
            "print(json.dumps([c.HF_HOME, c.HF_TOKEN_PATH, c.HF_HUB_CACHE]))"
        )
        got = json.loads(
            subprocess.run(
                [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
            ).stdout
        )
        assert got == [
            str(_paths.hf_home(env)),
            str(_paths.token_path(env)),
            str(_paths.hub_cache(env)),
        ]


def test_gated_lines(cli: Runner, tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    log.write_text("OSError: You are trying to access a gated repo.\n")
    [match] = cli("diagnose", str(log), "--format", "json").json()["matches"]
    assert match["name"] == "hf-token-problem"
