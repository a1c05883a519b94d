"""`devdoctor hook run` on a repository with 5,000 staged files (and `hook history` there),
against the 2 s budget, alternating with `python -c pass` in one run.

    python bench/bench_hooks.py [--files 5000] [--rounds 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def make_repo(path: Path, files: int) -> None:
    env = {
        **os.environ,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_AUTHOR_NAME": "B",
        "GIT_AUTHOR_EMAIL": "b@x",
        "GIT_COMMITTER_NAME": "B",
        "GIT_COMMITTER_EMAIL": "b@x",
    }
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    for n in range(files):
        folder = path / f"pkg{n % 50}"
        folder.mkdir(exist_ok=True)
        suffix = ".py" if n % 3 else ".txt"
        (folder / f"mod{n}{suffix}").write_text(f"import os\nVALUE_{n} = {n}\n" * 20)
    subprocess.run(["git", "add", "-A"], cwd=path, check=True, env=env)


def timed(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "repo"
        make_repo(repo, args.files)
        commands = {
            "hook run (all staged)": [str(BIN / "devdoctor"), "hook", "run"],
            "python -c pass": [sys.executable, "-c", "pass"],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for command in commands.values():
            timed(command, repo)  # warm-up
        for _ in range(args.rounds):
            for name, command in commands.items():
                times[name].append(timed(command, repo))
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"{args.files} staged files")
    for name, value in med.items():
        print(f"{name:<24} median {value * 1000:6.0f} ms")
    print(
        f"hook run: {med['hook run (all staged)'] / 2:.0%} of the 2 s budget, "
        f"{med['hook run (all staged)'] / med['python -c pass']:.1f}x python -c pass"
    )


if __name__ == "__main__":
    main()
