"""The native family (DD101-DD109) on a real ML environment: cold (empty cache) and warm, with
the files and megabytes of libraries examined per second; then the whole offline check warm,
next to a baseline devdoctor (another install, e.g. of the previous release) and `hf env`.
Goals: cold within 1 s; the family's rules add at most 50 ms to the warm whole check (measured
as the same check with and without them); the whole check <= 0.5x `hf env`.

    python bench/bench_native.py --python ENV/bin/python [--baseline OTHER/bin/devdoctor]
        [--devdoctor A/WHEEL/INSTALL/bin/devdoctor]

ENV should hold torch, torchvision, scikit-learn and opencv (pip install them there; they are
never devdoctor's dependencies).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NATIVE = [f"DD10{n}" for n in range(1, 10)]


def timed(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def libraries(python: str) -> tuple[int, int]:
    """(files, bytes) of the shared libraries under the environment's site-packages."""
    out = subprocess.run(
        [python, "-c", "import site; print('\\n'.join(site.getsitepackages()))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    files = size = 0
    for root in out:
        for folder, _, names in os.walk(root):
            for name in names:
                if name.endswith(".so") or ".so." in name:
                    path = os.path.join(folder, name)
                    if os.path.isfile(path) and not os.path.islink(path):
                        files += 1
                        size += os.path.getsize(path)
    return files, size


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--python", required=True)
    parser.add_argument("--baseline", help="another devdoctor to compare the warm check with")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--devdoctor", help="the devdoctor to time (default: this venv's)")
    args = parser.parse_args()
    bindir = Path(sys.executable).parent
    devdoctor = args.devdoctor or shutil.which("devdoctor", path=str(bindir)) or "devdoctor"
    hf = shutil.which("hf", path=str(bindir)) or "hf"
    files, size = libraries(args.python)
    with tempfile.TemporaryDirectory() as root:
        # Bytecode cached as on a user's machine (pip compiles at install).
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env.update(HOME=root, XDG_STATE_HOME=f"{root}/state", XDG_CACHE_HOME=f"{root}/cache")
        native = [devdoctor, "check", *NATIVE, "--offline", "--python", args.python]
        whole = [devdoctor, "check", "--offline", "--python", args.python]
        timed([devdoctor, "--version"], env)  # bytecode written, page cache warm
        colds = []
        for n in range(3):
            cold_env = {**env, "XDG_CACHE_HOME": f"{root}/cold{n}"}
            colds.append(timed(native, cold_env))
        cold = statistics.median(colds)
        warm = statistics.median(timed(native, env) for _ in range(args.rounds))
        mib = 2**20
        print(f"environment: {files} libraries, {size / mib:.0f} MiB under site-packages")
        print(
            f"native family cold: {cold:.2f} s ({files / cold:.0f} files/s, "
            f"{size / mib / cold:.0f} MiB/s examined; goal <= 1 s)"
        )
        print(f"native family warm: {warm * 1000:.0f} ms")
        # The same check without the family's rules (DD101/DD102 predate it): what it adds.
        without = {**env, "DEVDOCTOR_IGNORE": ",".join(c for c in NATIVE if c >= "DD103")}
        rows = {
            "devdoctor check (offline)": (whole, env),
            "the same without DD103-DD109": (whole, without),
            "hf env": ([hf, "env"], env),
        }
        if args.baseline:
            rows["baseline check (offline)"] = ([args.baseline, *whole[1:]], env)
        times: dict[str, list[float]] = {name: [] for name in rows}
        for _ in range(args.rounds):
            for name, (command, row_env) in rows.items():  # alternated: the machine is noisy
                times[name].append(timed(command, row_env))
        medians = {name: statistics.median(t) * 1000 for name, t in times.items()}
        for name, ms in medians.items():
            print(f"{name}: {ms:.0f} ms")
        ratio = medians["devdoctor check (offline)"] / medians["hf env"]
        print(f"whole check / hf env: {ratio:.2f}x (goal <= 0.5x)")
        added = medians["devdoctor check (offline)"] - medians["the same without DD103-DD109"]
        print(f"the family's rules add to the warm check: {added:+.0f} ms (goal <= +50 ms)")
        if args.baseline:
            extra = medians["devdoctor check (offline)"] - medians["baseline check (offline)"]
            print(f"whole check - baseline: {extra:+.0f} ms (every family added since)")


if __name__ == "__main__":
    main()
