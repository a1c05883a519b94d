"""DD101's library scan over a site-packages holding torch and scikit-learn.

Cold = no devdoctor cache (every library's headers read); warm = the (path, size, mtime) cache
in place. Each scan runs in a fresh interpreter, alternating with `python -c pass`, so the ratio
is measured in one run. Goals: cold <= 300 ms, warm <= 50 ms.

    python bench/bench_static_tls.py [--python /path/to/venv/bin/python] [--rounds 9]

Without --python it makes (once) a venv in ~/.cache/devdoctor-bench with
`pip install torch==2.13.0 scikit-learn` (the CPU torch wheel is on this machine's disk).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCAN = r"""
import json, sys, time
from pathlib import Path
start = time.perf_counter()
from devdoctor.rules.native._libscan import scan
libs = scan(json.loads(sys.argv[1]), Path(sys.argv[2]) if sys.argv[2] else None)
print(json.dumps({"seconds": time.perf_counter() - start, "files": len(libs)}))
"""


def ml_python() -> str:
    venv = Path.home() / ".cache" / "devdoctor-bench" / "mlvenv"
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "torch==2.13.0", "scikit-learn"], check=True
        )
    return str(python)


def site_packages(python: str) -> list[str]:
    out = subprocess.run(
        [python, "-c", "import site, json; print(json.dumps(site.getsitepackages()))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [p for p in json.loads(out) if os.path.isdir(p)]


def scan_once(roots: list[str], cache: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", SCAN, json.dumps(roots), cache],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result: dict[str, float] = json.loads(out)
    return result


def python_pass() -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--python", help="an interpreter whose site-packages holds torch/sklearn")
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    roots = site_packages(args.python or ml_python())
    cold, warm, bare = [], [], []
    files = 0
    with tempfile.TemporaryDirectory() as tmp:
        cache = str(Path(tmp) / "static-tls.json")
        for _ in range(args.rounds):
            Path(cache).unlink(missing_ok=True)
            first = scan_once(roots, cache)
            cold.append(first["seconds"])
            files = int(first["files"])
            warm.append(scan_once(roots, cache)["seconds"])
            bare.append(python_pass())
    med = {
        name: statistics.median(v)
        for name, v in {"cold": cold, "warm": warm, "python -c pass": bare}.items()
    }
    print(f"site-packages: {', '.join(roots)}")
    print(f"libraries scanned: {files}")
    for name, value in med.items():
        print(f"{name:<15} median {value * 1000:7.1f} ms over {args.rounds} runs")
    print(
        f"cold: {files / med['cold']:.0f} files/s, {med['cold'] / med['python -c pass']:.2f}x "
        "python -c pass (goal <= 300 ms)"
    )
    print(
        f"warm: {files / med['warm']:.0f} files/s, {med['warm'] / med['python -c pass']:.2f}x "
        "python -c pass (goal <= 50 ms)"
    )


if __name__ == "__main__":
    main()
