"""DD108 with the real opencv-python wheel on a system without libGL: libGL is hidden by an
overlay in a private mount namespace (root only), so the real `import cv2` fails as in a slim
container. The check, the swap to the headless build (from the package index), proven by
`import cv2` in a new process, and undo."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from helpers import Runner, require_tool

VERSION = "4.10.0.84"
LIBDIR = Path(f"/usr/lib/{os.uname().machine}-linux-gnu")


@pytest.fixture
def without_libgl(tmp_path: Path) -> list[str]:
    """A command prefix that runs its command where libGL.so.1 does not exist."""
    if not (LIBDIR / "libGL.so.1").exists():
        return []
    require_tool("unshare")
    if os.geteuid() != 0:
        if os.environ.get("CI") == "true":
            pytest.fail("hiding libGL needs root under CI=true")
        pytest.skip("hiding libGL needs root (a private mount namespace with an overlay)")
    upper, work = tmp_path / "upper", tmp_path / "work"
    upper.mkdir()
    work.mkdir()
    for name in {"libGL.so.1", os.path.basename(os.path.realpath(LIBDIR / "libGL.so.1"))}:
        os.mknod(upper / name, 0o600 | 0o020000, os.makedev(0, 0))  # an overlay whiteout
    mount = (
        f"mount -t overlay overlay -o lowerdir={LIBDIR},upperdir={upper},workdir={work} {LIBDIR}"
    )
    return ["unshare", "-m", "sh", "-c", f'{mount} && exec "$@"', "sh"]


@pytest.fixture
def opencv(tmp_path: Path) -> Path:
    venv.create(tmp_path / "env", with_pip=True)
    python = tmp_path / "env" / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", f"opencv-python=={VERSION}"],
        check=True,
        capture_output=True,
    )
    return python


def run(prefix: list[str], *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*prefix, *command], capture_output=True, text=True, timeout=600)


def devdoctor(prefix: list[str], *args: str) -> subprocess.CompletedProcess[str]:
    return run(prefix, sys.executable, "-m", "devdoctor", *args)


def test_swapped_to_headless_and_back(
    cli: Runner, opencv: Path, without_libgl: list[str], tmp_path: Path
) -> None:
    python = str(opencv)
    failed = run(without_libgl, python, "-c", "import cv2")
    assert "libGL.so.1: cannot open shared object file" in failed.stderr, failed.stderr
    log = tmp_path / "import.log"
    log.write_text(failed.stderr)
    [match] = cli("diagnose", str(log), "--format", "json").json()["matches"]
    assert match["name"] == "opencv-gui-build-headless" and match["certainty"] == "certain"

    doc = json.loads(
        devdoctor(without_libgl, "check", "DD108", "--python", python, "--format", "json").stdout
    )
    [diag] = doc["results"][0]["diagnostics"]
    assert diag["status"] == "fail" and "libGL.so.1" in diag["facts"]["missing"]
    assert diag["fix"]["applicability"] == "unsafe"
    assert "apt-get install -y libgl1" in json.dumps(diag["alternatives"])

    ran = devdoctor(without_libgl, "fix", "DD108", "--apply", "--yes", "--python", python)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert run(without_libgl, python, "-c", "import cv2").returncode == 0
    assert devdoctor(without_libgl, "check", "DD108", "--python", python).returncode == 0

    assert cli("undo", "--yes").code == 0
    listed = run([], python, "-m", "pip", "list", "--format", "freeze").stdout
    assert f"opencv-python=={VERSION}" in listed and "headless" not in listed


def test_headless_and_no_opencv_pass(cli: Runner, user_venv: Path) -> None:
    ran = cli("check", "DD108", "--python", str(user_venv / "bin" / "python"))
    assert ran.code == 0 and "no compiled libraries in this environment" in ran.out


def test_a_bare_missing_libgl_is_only_possible(cli: Runner, tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    log.write_text(
        "ImportError: libgthread-2.0.so.0: cannot open shared object file: No such file or directory\n"
    )
    [match] = cli("diagnose", str(log), "--format", "json").json()["matches"]
    assert match["name"] == "opencv-gui-build-headless" and match["certainty"] == "possible"
