"""`devdoctor diagnose` at catalogue scale on a generated ~1 GB training log (progress bars, ANSI
colours, binary junk, a 20 MB line, a handful of known errors) against `grep -E` on the
alternation of the hint literals (writing to a file: GNU grep stops at the first match when its
output is /dev/null), with peak memory; then the worst inputs (a hint 100k times on one line,
near-misses, a 400 MB line) as MiB/s, which must stay flat; then what `devdoctor run` adds to a
command that prints 200 MB. One run, ratios.

Catalogue scale: every loaded rule's signatures plus one per line of the public corpus
(tests/data/catalogue-public.json, its longest literal run as the hint), about 150 hints.
Goals: throughput within 3x grep -E, peak RSS < 100 MB, run overhead < 5%.

    python bench/bench_diagnose.py [--size-mb 1024] [--worst-mb 400]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from devdoctor.core.registry import load
from devdoctor.core.rule import Rule, Scope, Signature

BIN = Path(sys.executable).parent
CORPUS = Path(__file__).parents[1] / "tests" / "data" / "catalogue-public.json"
ERRORS = [
    "OSError: /env/lib/python3.10/site-packages/scikit_learn.libs/libgomp-d22c30c5.so.1.0.0: "
    "cannot allocate memory in static TLS block",
    "fatal: Unable to create '/work/repo/.git/index.lock': File exists.",
    "OSError: We couldn't connect to 'https://huggingface.co' to load the files, and couldn't "
    "find them in the cached files.",
    "ERROR: ld.so: object '/gone/libgomp.so.1' from LD_PRELOAD cannot be preloaded: ignored.",
]


def catalogue_rules() -> list[Rule]:
    """The loaded rules, and stand-ins for the catalogue's: a signature per public line."""
    rules = list(load().rules)
    seen = {h.lower() for r in rules for s in r.signatures for h in s.hints}
    extra = []
    for entry in json.loads(CORPUS.read_text()):
        runs = re.findall(r"[A-Za-z][\w .\-/=@+#]{11,}", entry["error_text"])
        hint = max(runs, key=len, default="")[:40].strip()
        if hint and hint.lower() not in seen:
            seen.add(hint.lower())
            extra.append(Signature(hint, re.escape(hint), entry["rule"]))
    check = load().rules[0].check
    rules += [
        Rule(f"DD9{i:02d}", f"stand-in-{i}", "", Scope.ENVIRONMENT, check, signatures=(sig,))
        for i, sig in enumerate(extra)
    ]
    return rules


def child(path: str) -> None:
    """The measured process: scan one file with the catalogue-scale rules."""
    from devdoctor.logs.scanner import scan

    with open(path, "rb") as f:
        print(len(scan([(path, f)], catalogue_rules())))


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


def worst_cases(tmp: Path, size: int, hint: str) -> list[tuple[str, Path]]:
    """Inputs built to be slow: a hint repeated on one line, near-misses, one huge line."""
    cases = []
    for name, unit in (
        (f"'{hint}' 100k times on one line", hint.encode()),
        ("near-misses", (hint[:-1] + "!" + " /a/b.so: x").encode()),
        (f"one {size >> 20} MiB line", b"x" * 4096),
    ):
        path = tmp / f"worst{len(cases)}.log"
        with path.open("wb") as f:
            if not cases:
                f.write(unit * 100_000 + b"\n")
            else:
                for _ in range(size // len(unit)):
                    f.write(unit)
                f.write(b"\n")
        cases.append((name, path))
    return cases


def timed(command: list[str], stdout: int | None = subprocess.DEVNULL) -> tuple[float, int]:
    """Wall time and peak RSS (KiB) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=stdout, stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(proc.pid, 0)
    return time.perf_counter() - start, usage.ru_maxrss


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--worst-mb", type=int, default=400)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    rules = catalogue_rules()
    hints = list(dict.fromkeys(h for r in rules for s in r.signatures for h in s.hints))
    alternation = "|".join(re.escape(h).replace("\\ ", " ") for h in hints)
    measured = [sys.executable, __file__, "--child"]
    mib = 2**20
    with tempfile.TemporaryDirectory() as tmp:
        log, out = Path(tmp) / "train.log", Path(tmp) / "grep.out"
        make_log(log, args.size_mb << 20)
        size = log.stat().st_size
        timed(["cat", str(log)])  # page cache warm for every reader
        with out.open("wb") as sink:
            grep_s, _ = timed(["grep", "-a", "-E", alternation, str(log)], sink.fileno())
            grep_i, _ = timed(["grep", "-a", "-i", "-E", alternation, str(log)], sink.fileno())
        dd_s, dd_rss = timed([*measured, str(log)])
        cli_s, cli_rss = timed([str(BIN / "devdoctor"), "diagnose", str(log)])
        found = subprocess.run([*measured, str(log)], capture_output=True, text=True).stdout
        print(
            f"log: {size / mib:.0f} MiB, {len(ERRORS)} planted errors, found {found.strip()}; "
            f"{len(hints)} hints from {len(rules)} rules"
        )
        print(f"grep -E on the hint alternation: {size / grep_s / mib:.0f} MiB/s ({grep_s:.2f} s)")
        print(f"grep -E -i (devdoctor ignores case too): {size / grep_i / mib:.0f} MiB/s")
        print(
            f"devdoctor, catalogue scale: {size / dd_s / mib:.0f} MiB/s ({dd_s:.2f} s) = "
            f"{dd_s / grep_s:.2f}x grep -E's time (goal <= 3x); peak RSS "
            f"{dd_rss / 1024:.0f} MiB (goal < 100)"
        )
        print(
            f"devdoctor diagnose (the CLI, bundled rules): {size / cli_s / mib:.0f} MiB/s = "
            f"{cli_s / grep_s:.2f}x grep -E; peak RSS {cli_rss / 1024:.0f} MiB"
        )
        empty = Path(tmp) / "empty.log"
        empty.touch()
        start_s = min(timed([*measured, str(empty)])[0] for _ in range(3))
        print(f"start-up (an empty file): {start_s:.2f} s, left out of the worst cases' MiB/s")
        for name, path in worst_cases(Path(tmp), args.worst_mb << 20, "Network is unreachable"):
            seconds, rss = timed([*measured, str(path)])
            worst = path.stat().st_size
            print(
                f"worst case, {name} ({worst / mib:.0f} MiB): {seconds:.2f} s, "
                f"{worst / max(seconds - start_s, 1e-3) / mib:.0f} MiB/s, "
                f"peak RSS {rss / 1024:.0f} MiB"
            )
        log.unlink()
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
