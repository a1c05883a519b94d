"""Wall time of `devdoctor check DD102 DD302` against `hf env` and `python -c pass`.

Runs the three commands alternately in one process (these machines are noisy: only ratios
measured in the same run mean anything) and prints medians and ratios. Goal: <= 0.5x `hf env`.

    python bench/bench_check.py [--rounds 15]
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


def timed(command: list[str], cwd: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    bindir = Path(sys.executable).parent
    devdoctor = shutil.which("devdoctor", path=str(bindir)) or "devdoctor"
    hf = shutil.which("hf", path=str(bindir)) or "hf"
    with tempfile.TemporaryDirectory() as repo:
        subprocess.run(["git", "init", "-q", repo], check=True)
        # As on a user's machine, bytecode is cached (pip compiles at install; some sandboxes
        # set PYTHONDONTWRITEBYTECODE, which would charge every run for compiling rich & co.).
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env.update(HOME=repo, XDG_STATE_HOME=f"{repo}/.state")
        commands = {
            "devdoctor check DD102 DD302": [devdoctor, "check", "DD102", "DD302"],
            "hf env": [hf, "env"],
            "python -c pass": [sys.executable, "-c", "pass"],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for command in commands.values():  # warm-up: writes bytecode and devdoctor's caches
            timed(command, repo, env)
        for _ in range(args.rounds):
            for name, command in commands.items():  # alternate, so drift hits all alike
                times[name].append(timed(command, repo, env))
    median = {name: statistics.median(values) for name, values in times.items()}
    for name, value in median.items():
        print(f"{name:<30} median {value * 1000:7.1f} ms over {args.rounds} runs")
    ratio_hf = median["devdoctor check DD102 DD302"] / median["hf env"]
    ratio_py = median["devdoctor check DD102 DD302"] / median["python -c pass"]
    print(f"devdoctor check / hf env         = {ratio_hf:.2f}x (goal <= 0.5x)")
    print(f"devdoctor check / python -c pass = {ratio_py:.2f}x")


if __name__ == "__main__":
    main()
