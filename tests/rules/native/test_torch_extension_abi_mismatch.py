"""DD104 against a real venv holding a g++-built stand-in for torch's libc10.so (one exported
c10:: function) and an extension that needs another one: the real loader's error, the check's
proof from the files, and the fix plans."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from helpers import Runner

SITE = f"lib/python{sys.version_info.major}.{sys.version_info.minor}/site-packages"


def gxx(*args: str | Path) -> None:
    subprocess.run(["g++", *map(str, args)], check=True, capture_output=True)


def dist_info(site: Path, name: str, version: str, extra: str = "", record: str = "") -> None:
    info = site / f"{name}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n{extra}"
    )
    (info / "RECORD").write_text(record)


@pytest.fixture
def env(user_venv: Path) -> dict[str, Path]:
    site = user_venv / SITE
    lib = site / "torch" / "lib"
    lib.mkdir(parents=True)
    (site / "torch" / "__init__.py").write_text("")
    (lib / "c10.cpp").write_text("namespace c10 { int known() { return 1; } }\n")
    gxx("-shared", "-fPIC", "-Wl,-soname,libc10.so", "-o", lib / "libc10.so", lib / "c10.cpp")
    dist_info(site, "torch", "2.4.1+cpu")
    ext = site / "myext"
    ext.mkdir()
    (ext / "ops.cpp").write_text(
        "namespace c10 { int known(); int gone(); }\n"
        'extern "C" int use() { return c10::known() + c10::gone(); }\n'
    )
    gxx(
        "-shared",
        "-fPIC",
        "-o",
        ext / "_C.so",
        ext / "ops.cpp",
        f"-L{lib}",
        "-lc10",
        f"-Wl,--enable-new-dtags,-rpath,{lib}",
    )
    dist_info(site, "myext", "1.0", record="myext/_C.so,,\n")
    return {"python": user_venv / "bin" / "python", "ext": ext / "_C.so", "site": site}


def test_the_real_error_is_recognised(cli: Runner, env: dict[str, Path], tmp_path: Path) -> None:
    failed = subprocess.run(
        [str(env["python"]), "-c", f"import ctypes; ctypes.CDLL({str(env['ext'])!r})"],
        capture_output=True,
        text=True,
    )
    assert "undefined symbol: _ZN3c104goneEv" in failed.stderr
    log = tmp_path / "err.log"
    log.write_text(failed.stderr)
    [match] = cli("diagnose", str(log), "--format", "json").json()["matches"]
    assert match["name"] == "torch-extension-abi-mismatch"
    assert match["facts"]["symbol"] == "_ZN3c104goneEv"


def test_missing_symbols_are_proven_from_the_files(cli: Runner, env: dict[str, Path]) -> None:
    doc = cli(
        "check", "torch-extension-abi-mismatch", "--python", str(env["python"]), "--format", "json"
    )
    [diag] = doc.json()["results"][0]["diagnostics"]
    assert diag["status"] == "fail"
    assert diag["facts"]["distribution"] == "myext"
    assert diag["facts"]["missing"] == ["_ZN3c104goneEv"]
    assert diag["facts"]["torch"] == "2.4.1+cpu"
    assert diag["fix"]["applicability"] == "display-only"


def test_a_companion_pinned_to_another_torch_gets_the_paired_release(
    cli: Runner, env: dict[str, Path]
) -> None:
    env["ext"].unlink()  # only the metadata problem is left
    dist_info(env["site"], "torchvision", "0.18.0", "Requires-Dist: torch (==2.3.0)\n")
    python = str(env["python"])
    doc = cli("check", "torch-extension-abi-mismatch", "--python", python, "--format", "json")
    [diag] = doc.json()["results"][0]["diagnostics"]
    assert diag["facts"]["distribution"] == "torchvision" and diag["facts"]["pinned"] == "2.3.0"
    assert diag["fix"]["applicability"] == "unsafe"
    plan = cli("fix", "torch-extension-abi-mismatch", "--python", python)
    assert "torchvision: 0.18.0 -> 0.19.1+cpu" in plan.out, plan.out
    assert (
        "--extra-index-url https://download.pytorch.org/whl/cpu torchvision==0.19.1+cpu" in plan.out
    )


def test_a_matching_extension_passes(cli: Runner, env: dict[str, Path]) -> None:
    (env["ext"].parent / "ok.cpp").write_text(
        'namespace c10 { int known(); }\nextern "C" int use() { return c10::known(); }\n'
    )
    gxx(
        "-shared",
        "-fPIC",
        "-o",
        env["ext"],
        env["ext"].parent / "ok.cpp",
        f"-L{env['site'] / 'torch' / 'lib'}",
        "-lc10",
    )
    assert cli("check", "torch-extension-abi-mismatch", "--python", str(env["python"])).code == 0


def test_without_torch_it_passes(cli: Runner, user_venv: Path) -> None:
    ran = cli(
        "check", "torch-extension-abi-mismatch", "--python", str(user_venv / "bin" / "python")
    )
    assert ran.code == 0 and "no compiled libraries in this environment" in ran.out
