"""DD207 on a real 4 MB tmpfs mounted on the cache in a private mount namespace (root only): a
real hf_hub_download of an 8 MB file from the loopback hub fails there; the check names the
cache and proposes the roomiest other file system."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fakehub import FILES, REPO, hub, url
from helpers import Runner, require_tool

DOWNLOAD = f"from huggingface_hub import hf_hub_download; hf_hub_download({REPO!r}, 'model.bin')"


def test_a_full_cache(cli: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    require_tool("unshare")
    if os.geteuid() != 0:
        if os.environ.get("CI") == "true":
            pytest.fail("a small cache file system needs root under CI=true")
        pytest.skip("a small cache file system needs root (a mount namespace)")
    monkeypatch.setitem(FILES, "model.bin", b"\0" * (8 << 20))
    cache = tmp_path / "hf"
    cache.mkdir()
    small = [
        "unshare",
        "-m",
        "sh",
        "-c",
        f'mount -t tmpfs -o size=4m tmpfs "{cache}" && exec "$@"',
        "sh",
    ]
    with hub() as server:
        env = {
            **os.environ,
            "HF_HOME": str(cache),
            "HF_ENDPOINT": url(server),
            "HF_HUB_DISABLE_XET": "1",
        }
        failed = subprocess.run(
            [*small, sys.executable, "-c", DOWNLOAD], env=env, capture_output=True, text=True
        )
    assert failed.returncode != 0 and "No space left on device" in failed.stderr, failed.stderr
    log = tmp_path / "dl.log"
    log.write_text(failed.stderr)
    names = {m["name"] for m in cli("diagnose", str(log), "--format", "json").json()["matches"]}
    assert "hf-cache-disk-full" in names
    ran = subprocess.run(
        [
            *small,
            sys.executable,
            "-m",
            "devdoctor",
            "check",
            "hf-cache-disk-full",
            "--format",
            "json",
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    [diag] = json.loads(ran.stdout)["results"][0]["diagnostics"]
    assert diag["status"] == "fail" and diag["facts"]["caches"][0]["path"] == str(cache / "hub")
    assert diag["fix"]["applicability"] == "safe" and "HF_HOME=" in diag["fix"]["title"]


def test_room_passes(cli: Runner, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.devdoctor.rules.hf-cache-disk-full]\nmin_free_gb = 0.01\n"
    )
    ran = cli("check", "DD207", env={"HF_HOME": str(tmp_path / "hf")}, cwd=tmp_path)
    assert ran.code == 0 and "at least 0.01 GB free" in ran.out
