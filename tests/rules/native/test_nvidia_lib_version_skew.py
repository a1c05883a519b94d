"""DD106 with gcc-built stand-ins: torch/lib/libtorch_cuda.so needing libnvJitLink.so.12 through
its RUNPATH from an nvidia-* wheel directory, and an older system copy that LD_LIBRARY_PATH
puts in front — the real loader's error, the check, the fix proven by /proc/self/maps, undo."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from helpers import Runner

SITE = f"lib/python{sys.version_info.major}.{sys.version_info.minor}/site-packages"


def gcc(*args: str | Path) -> None:
    subprocess.run(["gcc", *map(str, args)], check=True, capture_output=True)


def nvjitlink(folder: Path, symbols: list[str]) -> Path:
    folder.mkdir(parents=True)
    (folder / "j.c").write_text("".join(f"int {s}(void) {{ return 1; }}\n" for s in symbols))
    (folder / "j.map").write_text("libnvJitLink.so.12 { global: *; };\n")
    out = folder / "libnvJitLink.so.12"
    gcc(
        "-shared",
        "-fPIC",
        "-Wl,-soname,libnvJitLink.so.12",
        f"-Wl,--version-script={folder / 'j.map'}",
        "-o",
        out,
        folder / "j.c",
    )
    return out


@pytest.fixture
def layout(tmp_path: Path, user_venv: Path) -> dict[str, Path]:
    site = user_venv / SITE
    wheel = nvjitlink(
        site / "nvidia" / "nvjitlink" / "lib",
        ["__nvJitLinkAddData_12_1", "__nvJitLinkAddData_12_4"],
    )
    system = nvjitlink(tmp_path / "cuda-12.1" / "lib64", ["__nvJitLinkAddData_12_1"])
    lib = site / "torch" / "lib"
    lib.mkdir(parents=True)
    (lib / "t.c").write_text(
        "int __nvJitLinkAddData_12_4(void);\nint use(void) { return __nvJitLinkAddData_12_4(); }\n"
    )
    torch_cuda = lib / "libtorch_cuda.so"
    gcc(
        "-shared",
        "-fPIC",
        "-o",
        torch_cuda,
        lib / "t.c",
        f"-L{wheel.parent}",
        "-l:libnvJitLink.so.12",
        "-Wl,--enable-new-dtags,-rpath,$ORIGIN/../../nvidia/nvjitlink/lib",
    )
    for name, version in (("torch", "2.4.1+cu124"), ("nvidia_nvjitlink_cu12", "12.4.127")):
        info = site / f"{name}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    return {
        "python": user_venv / "bin" / "python",
        "wheel": wheel,
        "system": system,
        "torch_cuda": torch_cuda,
    }


def test_the_system_copy_in_front_is_found_fixed_and_undone(
    cli: Runner, layout: dict[str, Path], tmp_path: Path
) -> None:
    env = {"LD_LIBRARY_PATH": str(layout["system"].parent)}
    python = str(layout["python"])
    script = f"import ctypes; ctypes.CDLL({str(layout['torch_cuda'])!r})"
    failed = subprocess.run([python, "-c", script], env=env, capture_output=True, text=True)
    assert "__nvJitLinkAddData_12_4, version libnvJitLink.so.12" in failed.stderr
    log = tmp_path / "err.log"
    log.write_text(failed.stderr)
    [match] = cli("diagnose", str(log), "--format", "json").json()["matches"]
    assert match["name"] == "nvidia-lib-version-skew" and match["certainty"] == "certain"

    doc = cli("check", "nvidia-lib-version-skew", "--python", python, "--format", "json", env=env)
    [diag] = doc.json()["results"][0]["diagnostics"]
    assert diag["status"] == "fail"
    assert diag["facts"]["loads"] == str(layout["system"])
    assert diag["facts"]["because"] == "LD_LIBRARY_PATH"
    assert diag["facts"]["bundled"] == str(layout["wheel"])

    ran = cli("fix", "nvidia-lib-version-skew", "--apply", "--python", python, env=env)
    assert ran.code == 0, ran.out + ran.err
    activate = layout["python"].parent / "activate"
    proof = subprocess.run(
        ["sh", "-c", f'. "{activate}" && python -c "{script}"'],
        env=env,
        capture_output=True,
        text=True,
    )
    assert proof.returncode == 0, proof.stderr
    assert cli("check", "nvidia-lib-version-skew", "--python", python, env=env).code == 0
    assert cli("undo", "--yes").code == 0
    assert cli("check", "nvidia-lib-version-skew", "--python", python, env=env).code == 1


def test_the_wheels_own_copies_pass(cli: Runner, layout: dict[str, Path]) -> None:
    assert cli("check", "nvidia-lib-version-skew", "--python", str(layout["python"])).code == 0


@pytest.mark.parametrize(
    "line, certain",
    [
        (
            "cuDNN version incompatibility: PyTorch was compiled  against (8, 5, 0) but found runtime version (8, 3, 3).",
            True,
        ),
        (
            "\tlibnvJitLink.so.12 => /usr/local/cuda-12.1/lib64/libnvJitLink.so.12 (0x000070ddad800000)",
            False,
        ),
    ],
)
def test_log_forms(cli: Runner, tmp_path: Path, line: str, certain: bool) -> None:
    log = tmp_path / "x.log"
    log.write_text(line + "\n")
    [match] = cli("diagnose", str(log), "--format", "json").json()["matches"]
    assert match["name"] == "nvidia-lib-version-skew"
    assert (match["certainty"] == "certain") is certain


def test_the_wheels_own_copy_in_ldd_is_not_a_problem(cli: Runner, tmp_path: Path) -> None:
    log = tmp_path / "ldd.log"
    log.write_text(
        "\tlibcublas.so.12 => /venv/lib/python3.11/site-packages/nvidia/cublas/lib/libcublas.so.12 (0x7f)\n"
    )
    assert cli("diagnose", str(log), "--format", "json").json()["matches"] == []
