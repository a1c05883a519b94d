"""DD301 detection on a branch of 50 commits over 60,000 commits of history, against the same
branch over 60 commits of history, measured alternately in one run. Goal: at most 1.3x.

    python bench/bench_git_history.py [--history 60000] [--rounds 9]

Histories are generated with `git fast-import` (a few seconds for 60k commits).
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

BRANCH = 50
SUBJECTS = ["Add feature part", "WIP", ".", "fix", "tmp debug", "fixup! Add feature part"]


def fast_import_stream(history: int, branch: int) -> bytes:
    out = []
    stamp = 1_700_000_000
    for n in range(history):
        data = f"line {n}\n".encode()
        msg = f"Main commit {n}".encode()
        out.append(b"commit refs/heads/main\nmark :%d\n" % (n + 1))
        out.append(b"committer Main <main@example.com> %d +0000\n" % (stamp + n))
        out.append(b"data %d\n%s\n" % (len(msg), msg))
        if n:
            out.append(b"from :%d\n" % n)
        out.append(b"M 100644 inline file%d.txt\ndata %d\n%s\n" % (n % 100, len(data), data))
    for k in range(branch):
        data = f"feature {k}\n".encode()
        msg = f"{SUBJECTS[k % len(SUBJECTS)]} {k}".encode()
        out.append(b"commit refs/heads/feature\nmark :%d\n" % (history + k + 1))
        out.append(b"committer Dev <dev@example.com> %d +0000\n" % (stamp + history + k))
        out.append(b"data %d\n%s\n" % (len(msg), msg))
        out.append(b"from :%d\n" % (history + k if k else history))
        out.append(b"M 100644 inline feature.txt\ndata %d\n%s\n" % (len(data), data))
    return b"".join(out)


def make_repo(path: Path, history: int) -> Path:
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    subprocess.run(
        ["git", "fast-import", "--quiet"],
        cwd=path,
        input=fast_import_stream(history, BRANCH),
        check=True,
    )
    for args in (
        ["update-ref", "refs/remotes/origin/main", "main"],
        ["symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main"],
        ["checkout", "-q", "feature"],
    ):
        subprocess.run(["git", *args], cwd=path, check=True)
    return path


def timed(cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        [str(Path(sys.executable).parent / "devdoctor"), "check", "DD301"],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--history", type=int, default=60_000)
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        big = make_repo(Path(tmp) / "big", args.history)
        small = make_repo(Path(tmp) / "small", 60)
        print(f"generated {args.history} + {BRANCH} commits in {time.perf_counter() - start:.1f} s")
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull, HOME=tmp)
        times: dict[str, list[float]] = {"big": [], "small": []}
        timed(small, env)  # warm-up: bytecode, caches
        for _ in range(args.rounds):
            times["big"].append(timed(big, env))
            times["small"].append(timed(small, env))
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"{args.history}-commit history: median {med['big'] * 1000:.0f} ms")
    print(f"60-commit history:    median {med['small'] * 1000:.0f} ms")
    print(f"ratio {med['big'] / med['small']:.2f}x (goal <= 1.3x)")


if __name__ == "__main__":
    main()
