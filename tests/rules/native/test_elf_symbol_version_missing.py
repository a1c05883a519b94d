"""DD103 with real libraries built by gcc with version scripts, the real loader's error, a fix
proven in a new process of a real venv's interpreter, and undo."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from helpers import Runner

SITE = f"lib/python{sys.version_info.major}.{sys.version_info.minor}/site-packages"
V1 = "FOO_1.0 { global: foo1; local: *; };\n"
V2 = "FOO_1.0 { global: foo1; local: *; };\nFOO_2.0 { global: foo2; } FOO_1.0;\n"


def gcc(*args: str | Path) -> None:
    subprocess.run(["gcc", *map(str, args)], check=True, capture_output=True)


def libfoo(folder: Path, script: str, source: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "foo.c").write_text(source)
    (folder / "foo.map").write_text(script)
    lib = folder / "libfoo.so.1"
    gcc(
        "-shared",
        "-fPIC",
        "-Wl,-soname,libfoo.so.1",
        f"-Wl,--version-script={folder / 'foo.map'}",
        "-o",
        lib,
        folder / "foo.c",
    )
    return lib


@pytest.fixture
def libs(tmp_path: Path, user_venv: Path) -> dict[str, Path]:
    """An old libfoo (FOO_1.0) and a new one (FOO_1.0, FOO_2.0); in the venv's site-packages a
    library that needs FOO_2.0 and finds the new one by its RUNPATH."""
    old = libfoo(tmp_path / "old", V1, "int foo1(void) { return 1; }\n")
    new = libfoo(
        tmp_path / "new", V2, "int foo1(void) { return 1; }\nint foo2(void) { return 2; }\n"
    )
    pkg = user_venv / SITE / "fastpkg"
    pkg.mkdir(parents=True)
    (pkg / "user.c").write_text("int foo2(void);\nint use(void) { return foo2(); }\n")
    consumer = pkg / "libuser.so"
    gcc(
        "-shared",
        "-fPIC",
        "-o",
        consumer,
        pkg / "user.c",
        f"-L{new.parent}",
        "-l:libfoo.so.1",
        f"-Wl,--enable-new-dtags,-rpath,{new.parent}",
    )
    return {"old": old, "new": new, "consumer": consumer, "python": user_venv / "bin" / "python"}


def load(python: Path, library: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(python), "-c", f"import ctypes; ctypes.CDLL({str(library)!r})"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_real_error_is_recognised(cli: Runner, libs: dict[str, Path], tmp_path: Path) -> None:
    failed = load(libs["python"], libs["consumer"], {"LD_LIBRARY_PATH": str(libs["old"].parent)})
    assert failed.returncode != 0 and "FOO_2.0" in failed.stderr
    log = tmp_path / "err.log"
    log.write_text(failed.stderr)
    [match] = cli("diagnose", str(log), "--format", "json").json()["matches"]
    assert match["name"] == "elf-symbol-version-missing"
    assert match["facts"]["version"] == "FOO_2.0"
    assert match["facts"]["required_by"] == str(libs["consumer"])
    assert match["facts"]["provider"] == str(libs["old"])


def test_the_older_copy_in_front_is_found_fixed_and_undone(
    cli: Runner, libs: dict[str, Path]
) -> None:
    python, env = str(libs["python"]), {"LD_LIBRARY_PATH": str(libs["old"].parent)}
    doc = cli(
        "check", "elf-symbol-version-missing", "--python", python, "--format", "json", env=env
    )
    [diag] = doc.json()["results"][0]["diagnostics"]
    assert diag["status"] == "fail"
    assert diag["facts"]["library"] == str(libs["consumer"])
    assert diag["facts"]["missing"] == ["FOO_2.0"]
    assert diag["facts"]["loads"] == str(libs["old"])
    assert diag["facts"]["because"] == "LD_LIBRARY_PATH"
    assert diag["fix"]["applicability"] == "safe"

    ran = cli("fix", "elf-symbol-version-missing", "--apply", "--python", python, env=env)
    assert ran.code == 0, ran.out + ran.err
    assert "verified" in ran.out
    activate = libs["python"].parent / "activate"
    script = f'. "{activate}" && python -c "import ctypes; ctypes.CDLL(\'{libs["consumer"]}\')"'
    proof = subprocess.run(["sh", "-c", script], env=env, capture_output=True, text=True)
    assert proof.returncode == 0, proof.stderr  # the real loader, in a new shell
    assert cli("check", "elf-symbol-version-missing", "--python", python, env=env).code == 0

    assert cli("undo", "--yes").code == 0
    again = subprocess.run(["sh", "-c", script], env=env, capture_output=True, text=True)
    assert again.returncode != 0 and "FOO_2.0" in again.stderr


def test_without_the_older_copy_in_front_it_passes(cli: Runner, libs: dict[str, Path]) -> None:
    ran = cli("check", "elf-symbol-version-missing", "--python", str(libs["python"]))
    assert ran.code == 0, ran.out
    assert load(libs["python"], libs["consumer"], {}).returncode == 0


def test_no_copy_that_defines_it_is_display_only(cli: Runner, libs: dict[str, Path]) -> None:
    libs["new"].unlink()
    libs["old"].rename(libs["new"])  # the RUNPATH now finds only the old one
    doc = cli(
        "check", "elf-symbol-version-missing", "--python", str(libs["python"]), "--format", "json"
    )
    [diag] = doc.json()["results"][0]["diagnostics"]
    assert diag["status"] == "fail" and diag["facts"]["because"] == "its RUNPATH"
    assert diag["fix"]["applicability"] == "display-only"


def test_damaged_and_foreign_files_are_not_a_crash(
    cli: Runner, libs: dict[str, Path], user_venv: Path
) -> None:
    pkg = user_venv / SITE / "fastpkg"
    (pkg / "truncated.so").write_bytes(libs["consumer"].read_bytes()[:200])
    (pkg / "garbage.so.1").write_bytes(b"\x7fELF" + b"\xff" * 60)
    (pkg / "text.so").write_text("not a library")
    ran = cli("check", "elf-symbol-version-missing", "--python", str(libs["python"]))
    assert ran.code == 0 and "Traceback" not in ran.err, ran.out + ran.err
