"""`devdoctor diagnose` on a generated ~1 GB training log (progress bars, ANSI colours, binary
junk, a 20 MB line, a handful of known errors) against `grep -E` with the same patterns, and its
peak memory; then what `devdoctor run` adds to a command that prints 200 MB. One run, ratios.
Goals: throughput within 3x of grep, peak memory < 100 MB, run overhead < 5%.

    python bench/bench_diagnose.py [--size-mb 1024]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from devdoctor.core.registry import load

BIN = Path(sys.executable).parent
ERRORS = [
    "OSError: /env/lib/python3.10/site-packages/scikit_learn.libs/libgomp-d22c30c5.so.1.0.0: "
    "cannot allocate memory in static TLS block",
    "fatal: Unable to create '/work/repo/.git/index.lock': File exists.",
    "OSError: We couldn't connect to 'https://huggingface.co' to load the files, and couldn't "
    "find them in the cached files.",
    "ERROR: ld.so: object '/gone/libgomp.so.1' from LD_PRELOAD cannot be preloaded: ignored.",
]


def to_ere(pattern: str) -> str:
    """The same pattern in grep -E syntax."""
    out = re.sub(r"\(\?P<\w+>", "(", pattern).replace("(?:", "(")
    out = out.replace(r"\d", "[0-9]").replace(r"\s", "[[:space:]]").replace(r"\w", "[[:alnum:]_]")
    return re.sub(r"(\}|\*|\+)\?", r"\1", out)


def make_log(path: Path, size: int) -> None:
    progress = (
        "".join(
            f"\r\x1b[32mtrain\x1b[0m {p:3d}%|{'#' * (p // 10):<10}| loss=0.{p:03d}"
            for p in range(0, 101, 5)
        ).encode()
        + b"\n"
    )
    ordinary = b"".join(
        f"2026-01-01 12:00:{s:02d} [rank0]: step {s} loss 1.23\n".encode() for s in range(60)
    )
    junk = bytes(range(256)) * 64
    block = (progress + ordinary) * 40 + junk
    written, placed = 0, 0
    with path.open("wb") as f:
        while written < size:
            f.write(block)
            written += len(block)
            if placed < len(ERRORS) and written > (placed + 1) * size // (len(ERRORS) + 1):
                f.write(ERRORS[placed].encode() + b"\n")
                placed += 1
            if written > size // 2 and written - len(block) <= size // 2:
                f.write(b"z" * (20 << 20) + b"\n")  # a 20 MB line
                written += 20 << 20


def timed(command: list[str], stdout: int | None = subprocess.DEVNULL) -> tuple[float, int]:
    """Wall time and peak RSS (KiB) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=stdout, stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(proc.pid, 0)
    return time.perf_counter() - start, usage.ru_maxrss


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument(
        "--grep-mb",
        type=int,
        default=64,
        help="grep -E is slow on these "
        "patterns (bounded repeats): it is timed on this much of the log",
    )
    args = parser.parse_args()
    rules = load().rules
    patterns = [to_ere(s.pattern) for r in rules for s in r.signatures]
    hints = [s.hint for r in rules for s in r.signatures]
    with tempfile.TemporaryDirectory() as tmp:
        log, head = Path(tmp) / "train.log", Path(tmp) / "head.log"
        make_log(log, args.size_mb << 20)
        with log.open("rb") as src, head.open("wb") as dst:  # in small pieces: a child's peak
            for _ in range(args.grep_mb):  # RSS counts the parent's pages it was forked with
                dst.write(src.read(1 << 20))
        size, head_size = log.stat().st_size, head.stat().st_size
        timed(["cat", str(log)])  # page cache warm for every reader
        grep_e, _ = timed(
            ["grep", "-E", "-c", *[a for p in patterns for a in ("-e", p)], str(head)]
        )
        grep_f, _ = timed(["grep", "-F", "-c", *[a for h in hints for a in ("-e", h)], str(log)])
        dd_s, dd_rss = timed([str(BIN / "devdoctor"), "diagnose", str(log)])
        found = subprocess.run(
            [str(BIN / "devdoctor"), "diagnose", "--format", "json", str(log)],
            capture_output=True,
            text=True,
        ).stdout.count('"code"')
        mib = 2**20
        print(f"log: {size / mib:.0f} MiB with {len(ERRORS)} planted errors; found {found}")
        print(
            f"grep -E, {len(patterns)} patterns: {head_size / grep_e / mib:.0f} MiB/s "
            f"(timed on the first {args.grep_mb} MiB)"
        )
        print(f"grep -F, the {len(hints)} hint literals: {size / grep_f / mib:.0f} MiB/s")
        print(
            f"devdoctor diagnose: {size / dd_s / mib:.0f} MiB/s ({dd_s:.2f} s) = "
            f"{(head_size / grep_e) / (size / dd_s):.3f}x grep -E's time per byte "
            f"(goal <= 3x), {(size / grep_f) / (size / dd_s):.1f}x grep -F's; "
            f"peak RSS {dd_rss / 1024:.0f} MiB (goal < 100)"
        )
    noisy = [
        sys.executable,
        "-c",
        "import sys\nline = b'x' * 99 + b'\\n'\nw = sys.stdout.buffer."
        "write\nfor _ in range(2 * 1024 * 1024):\n    w(line)\n",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for name, target in (("a file", Path(tmp) / "out.txt"), ("/dev/null", Path(os.devnull))):
            with target.open("wb") as out:
                plain = min(timed(noisy, out.fileno())[0] for _ in range(3))
                wrapped = min(
                    timed([str(BIN / "devdoctor"), "run", "--", *noisy], out.fileno())[0]
                    for _ in range(3)
                )
            print(
                f"200 MB of output to {name}: alone {plain:.2f} s, under devdoctor run "
                f"{wrapped:.2f} s: {(wrapped / plain - 1) * 100:+.1f}% (goal < 5%)"
            )


if __name__ == "__main__":
    main()
