"""Wall time of the whole offline check against `hf env` and `python -c pass`.

`devdoctor check --offline` (every rule but those that contact servers), examining a plain
venv, inside a git repository: the three commands run alternately in one process (these
machines are noisy: only ratios measured in the same run mean anything), and the medians and
ratios are printed.
Goal: <= 0.5x `hf env`. Then where the time goes: devdoctor's imports, the target probe, and each
rule (from `check --format json`'s duration_ms).

    python bench/bench_check.py [--rounds 15] [--devdoctor PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path


def timed(command: list[str], cwd: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
    )
    return time.perf_counter() - start


def median_ms(command: list[str], cwd: str, env: dict[str, str], rounds: int) -> float:
    return statistics.median(timed(command, cwd, env) for _ in range(rounds)) * 1000


def probe_source() -> str:
    from devdoctor.core.target import _PROBE

    return _PROBE


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument(
        "--devdoctor",
        help="the devdoctor to time (default: this venv's; an editable install pays ~10 ms for "
        "setuptools' import finder that a wheel install, as users have, does not)",
    )
    args = parser.parse_args()
    bindir = Path(sys.executable).parent
    devdoctor = args.devdoctor or shutil.which("devdoctor", path=str(bindir)) or "devdoctor"
    hf = shutil.which("hf", path=str(bindir)) or "hf"
    with tempfile.TemporaryDirectory() as root:
        repo = f"{root}/repo"
        subprocess.run(["git", "init", "-q", repo], check=True)
        Path(repo, "train.py").write_text("import os\nprint(os.getcwd())\n")
        subprocess.run(["git", "-C", repo, "add", "train.py"], check=True)
        user_venv = f"{root}/venv"
        venv.create(user_venv, with_pip=True, symlinks=True)
        # As on a user's machine, bytecode is cached (pip compiles at install; some sandboxes
        # set PYTHONDONTWRITEBYTECODE, which would charge every run for compiling rich & co.).
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env.update(
            HOME=root,
            XDG_STATE_HOME=f"{root}/.state",
            XDG_CACHE_HOME=f"{root}/.cache",
            VIRTUAL_ENV=user_venv,
        )
        check = [devdoctor, "check", "--offline"]  # network rules skipped, as the name says
        commands = {
            "devdoctor check (offline)": check,
            "hf env": [hf, "env"],
            "python -c pass": [sys.executable, "-c", "pass"],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for command in commands.values():  # warm-up: writes bytecode and devdoctor's caches
            timed(command, repo, env)
        for _ in range(args.rounds):
            for name, command in commands.items():  # alternate, so drift hits all alike
                times[name].append(timed(command, repo, env))
        median = {name: statistics.median(values) * 1000 for name, values in times.items()}
        for name, value in median.items():
            print(f"{name:<30} median {value:7.1f} ms over {args.rounds} runs")
        ours = median["devdoctor check (offline)"]
        print(f"devdoctor check / hf env         = {ours / median['hf env']:.2f}x (goal <= 0.5x)")
        print(f"devdoctor check / python -c pass = {ours / median['python -c pass']:.2f}x")

        print("\nwhere the time goes (medians):")
        rounds = max(5, args.rounds // 2)
        start = median_ms([sys.executable, "-c", "pass"], repo, env, rounds)
        imports = median_ms(
            [sys.executable, "-c", "import devdoctor.cli.app, devdoctor.cli.commands"],
            repo,
            env,
            rounds,
        )
        cold_probe = median_ms(
            [f"{user_venv}/bin/python", "-E", "-c", probe_source()], repo, env, rounds
        )
        print(f"  interpreter start           {start:7.1f} ms")
        print(f"  devdoctor imports (cli)     {imports - start:7.1f} ms")
        print(f"  target probe, uncached      {cold_probe:7.1f} ms (cached by interpreter and")
        print("                                        site-packages mtimes: 0 when warm)")
        doc = json.loads(
            subprocess.run(
                [*check, "--format", "json"], cwd=repo, env=env, capture_output=True, text=True
            ).stdout
        )
        for result in sorted(doc["results"], key=lambda r: -r["duration_ms"]):
            print(f"  {result['code']} {result['name']:<30} {result['duration_ms']:5d} ms")


if __name__ == "__main__":
    main()
