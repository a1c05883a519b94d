"""DD206 with real huggingface_hub 0.26.0 from the package index: the real ValueError on a
download with HF_HUB_ENABLE_HF_TRANSFER=1 and no hf_transfer (against the loopback hub), the
variable unset for the environment, the download working, undo."""

from __future__ import annotations

import subprocess
import venv
from pathlib import Path

from fakehub import REPO, hub, url
from helpers import Runner

DOWNLOAD = (
    f"from huggingface_hub import hf_hub_download; print(hf_hub_download({REPO!r}, 'config.json'))"
)


def test_enabled_without_the_package(cli: Runner, tmp_path: Path) -> None:
    venv.create(tmp_path / "env", with_pip=True)
    python = tmp_path / "env" / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "huggingface_hub==0.26.0"],
        check=True,
        capture_output=True,
    )
    with hub() as server:
        env = {
            "HF_HUB_ENABLE_HF_TRANSFER": "1",
            "HF_ENDPOINT": url(server),
            "HF_HOME": str(tmp_path / "hf"),
        }
        failed = subprocess.run(
            [str(python), "-c", DOWNLOAD],
            env={"PATH": "/usr/bin:/bin", **env},
            capture_output=True,
            text=True,
        )
        assert "'hf_transfer' package is not available" in failed.stderr
        log = tmp_path / "dl.log"
        log.write_text(failed.stderr)
        names = {m["name"] for m in cli("diagnose", str(log), "--format", "json").json()["matches"]}
        assert "hf-transfer-enabled-but-missing" in names
        doc = cli("check", "DD206", "--python", str(python), "--format", "json", env=env).json()
        [diag] = doc["results"][0]["diagnostics"]
        assert diag["status"] == "fail" and diag["facts"]["huggingface_hub"] == "0.26.0"
        ran = cli("fix", "DD206", "--apply", "--python", str(python), env=env)
        assert ran.code == 0, ran.out + ran.err
        shell = subprocess.run(
            ["sh", "-c", f'. "{python.parent}/activate" && python -c "{DOWNLOAD}"'],
            env={"PATH": "/usr/bin:/bin", **env},
            capture_output=True,
            text=True,
        )
        assert shell.returncode == 0, shell.stderr
        assert cli("undo", "--yes").code == 0


def test_not_set_passes(cli: Runner, user_venv: Path) -> None:
    assert cli("check", "DD206", "--python", str(user_venv / "bin" / "python")).code == 0
