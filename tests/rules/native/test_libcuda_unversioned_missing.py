"""DD107 with a gcc-built stand-in for the driver's libcuda.so.1: GNU ld's real `cannot find
-lcuda`, the check, the owned link proven by dlopen in a new process and by the linker in a new
shell, and undo removing link and folder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from helpers import Runner

SITE = f"lib/python{sys.version_info.major}.{sys.version_info.minor}/site-packages"


@pytest.fixture
def driver(tmp_path: Path) -> Path:
    folder = tmp_path / "driver"
    folder.mkdir()
    (folder / "cuda.c").write_text("int cuInit(unsigned flags) { return 0; }\n")
    subprocess.run(
        [
            "gcc",
            "-shared",
            "-fPIC",
            "-Wl,-soname,libcuda.so.1",
            "-o",
            str(folder / "libcuda.so.1"),
            str(folder / "cuda.c"),
        ],
        check=True,
    )
    return folder


def with_triton(venv: Path) -> None:
    info = venv / SITE / "triton-3.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: triton\nVersion: 3.1.0\n")


def link_with_lcuda(folder: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            "gcc",
            "-shared",
            "-o",
            str(cwd / "launcher.so"),
            "-x",
            "c",
            "/dev/null",
            f"-L{folder}",
            "-lcuda",
        ],
        capture_output=True,
        text=True,
    )


def test_found_linked_proven_and_undone(
    cli: Runner, driver: Path, user_venv: Path, tmp_path: Path
) -> None:
    with_triton(user_venv)
    python, env = str(user_venv / "bin" / "python"), {"LD_LIBRARY_PATH": str(driver)}
    failed = link_with_lcuda(str(driver), tmp_path)
    assert failed.returncode != 0 and "cannot find -lcuda" in failed.stderr  # GNU ld's words
    log = tmp_path / "build.log"
    log.write_text(failed.stderr)
    [match] = cli("diagnose", str(log), "--format", "json").json()["matches"]
    assert match["name"] == "libcuda-unversioned-missing"

    doc = cli(
        "check", "libcuda-unversioned-missing", "--python", python, "--format", "json", env=env
    )
    [diag] = doc.json()["results"][0]["diagnostics"]
    assert diag["status"] == "fail" and diag["facts"]["needed_by"] == ["triton"]
    assert diag["facts"]["driver"] == str(driver / "libcuda.so.1")

    ran = cli("fix", "libcuda-unversioned-missing", "--apply", "--python", python, env=env)
    assert ran.code == 0, ran.out + ran.err
    link = user_venv / "lib" / "devdoctor-libcuda" / "libcuda.so"
    assert link.is_symlink() and link.resolve() == (driver / "libcuda.so.1").resolve()
    activate = user_venv / "bin" / "activate"
    shell = subprocess.run(
        [
            "sh",
            "-c",
            f'. "{activate}" && gcc -shared -o "{tmp_path}/l.so" -x c /dev/null '
            f'-L"$TRITON_LIBCUDA_PATH" -lcuda && python -c "import ctypes; ctypes.CDLL(\'libcuda.so\')"',
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    assert shell.returncode == 0, shell.stderr
    assert cli("check", "libcuda-unversioned-missing", "--python", python, env=env).code == 0

    assert cli("undo", "--yes").code == 0
    assert not link.exists() and not link.parent.exists()
    assert cli("check", "libcuda-unversioned-missing", "--python", python, env=env).code == 1


def test_no_driver_or_nothing_needing_it_passes(cli: Runner, driver: Path, user_venv: Path) -> None:
    python = str(user_venv / "bin" / "python")
    ran = cli("check", "libcuda-unversioned-missing", "--python", python)
    assert ran.code == 0 and "no NVIDIA driver" in ran.out
    ran = cli(
        "check",
        "libcuda-unversioned-missing",
        "--python",
        python,
        env={"LD_LIBRARY_PATH": str(driver)},
    )
    assert ran.code == 0 and "nothing here needs" in ran.out


@pytest.mark.parametrize(
    "line, name",
    [
        (
            "/usr/bin/ld: cannot find -lcuda: No such file or directory",
            "libcuda-unversioned-missing",
        ),
        (
            "Could not load library libcudnn_cnn_infer.so.8. Error: libcuda.so: cannot open shared object file: No such file or directory",
            "libcuda-unversioned-missing",
        ),
        ("OSError: libcuda.so.1: cannot open shared object file: No such file or directory", None),
        ("/usr/bin/ld: cannot find -lcudart", None),
    ],
)
def test_log_forms(cli: Runner, tmp_path: Path, line: str, name: str | None) -> None:
    log = tmp_path / "x.log"
    log.write_text(line + "\n")
    found = {m["name"] for m in cli("diagnose", str(log), "--format", "json").json()["matches"]}
    assert found == ({name} if name else set())
