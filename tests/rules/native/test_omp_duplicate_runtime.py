"""DD109 with gcc-built stand-ins for two packages' OpenMP runtimes in a real venv."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from helpers import Runner

SITE = f"lib/python{sys.version_info.major}.{sys.version_info.minor}/site-packages"


def runtime(folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "omp.c").write_text("int omp_get_max_threads(void) { return 1; }\n")
    out = folder / name
    subprocess.run(
        ["gcc", "-shared", "-fPIC", f"-Wl,-soname,{name}", "-o", str(out), str(folder / "omp.c")],
        check=True,
    )
    return out


def test_two_runtimes_fail_one_passes(cli: Runner, user_venv: Path) -> None:
    site = user_venv / SITE
    python = str(user_venv / "bin" / "python")
    runtime(site / "intel_openmp" / "lib", "libiomp5.so")
    runtime(site / "scikit_learn.libs", "libgomp-d22c30c5.so.1.0.0")  # GNU's: not counted
    assert cli("check", "omp-duplicate-runtime", "--python", python).code == 0
    runtime(site / "faiss_cpu.libs", "libomp-3f2a1b.so")
    doc = cli("check", "omp-duplicate-runtime", "--python", python, "--format", "json").json()
    [diag] = doc["results"][0]["diagnostics"]
    assert diag["status"] == "fail" and len(diag["facts"]["runtimes"]) == 2
    assert diag["fix"]["applicability"] == "display-only"
    assert "KMP_DUPLICATE_LIB_OK" in diag["fix"]["instructions"]


def test_the_error_line(cli: Runner, tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    log.write_text(
        "OMP: Error #15: Initializing libiomp5md.dll, but found libiomp5md.dll already initialized.\n"
    )
    [match] = cli("diagnose", str(log), "--format", "json").json()["matches"]
    assert match["name"] == "omp-duplicate-runtime"
    assert match["facts"] == {"runtime": "libiomp5md.dll", "other": "libiomp5md.dll"}
