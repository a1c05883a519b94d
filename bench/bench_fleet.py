"""`fleet merge` at 10,000 nodes and `fleet srun` on 64 real slurmd.

merge: 10,000 node reports (a real report from `check --format jsonl`, renamed per node, 1 in 50
failing) merged from one JSON-lines file; wall time and peak RSS of the whole command, against
the floor measured in the same run: a Python child that only reads and parses the same lines.
Goal: < 2 s and < 200 MB.

srun (needs slurmctld, slurmd, munged; root): a 64-node lab (tests/slurmlab.py); `fleet srun`
against a bare `srun -N64 true` (the engine's own floor) and 64 sequential `devdoctor check` runs.

    python bench/bench_fleet.py [--nodes 10000] [--srun]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RULES = ["DD102", "DD202", "DD510"]


def run(cmd: list[str], **kw: object) -> tuple[float, float, subprocess.CompletedProcess[bytes]]:
    """Wall seconds and the child's peak RSS in MiB."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, check=False, **kw)  # type: ignore[call-overload]
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, max(peak, before) / 1024, proc


def bench_merge(nodes: int, work: Path) -> None:
    base = json.loads(
        subprocess.run(
            [sys.executable, "-m", "devdoctor", "check", *RULES, "--offline", "--format", "jsonl"],
            capture_output=True,
            check=False,
        ).stdout
    )
    failing = copy.deepcopy(base)
    failing["results"][0]["status"] = "fail"
    failing["results"][0]["diagnostics"][0].update(status="fail", message="LD_PRELOAD is stale")
    lines = work / "reports.jsonl"
    with lines.open("w") as out:
        for i in range(1, nodes + 1):
            report = failing if i % 50 == 0 else base
            report["host"]["node"] = f"node{i:05d}"
            out.write(json.dumps(report, separators=(",", ":")) + "\n")
    size = lines.stat().st_size / 2**20
    floor_script = "import json, sys\nfor line in open(sys.argv[1]):\n    json.loads(line)\n"
    floor, floor_rss, _ = run([sys.executable, "-c", floor_script, str(lines)])
    wall, rss, proc = run(
        [sys.executable, "-m", "devdoctor", "fleet", "merge", str(lines), "--format", "json"]
    )
    doc = json.loads(proc.stdout)
    failed = next(g for g in doc["groups"] if g["status"] == "fail")
    print(f"merge: {nodes} reports, {size:.0f} MiB of JSON lines")
    print(f"  fleet merge         {wall:6.2f} s  peak RSS {rss:5.0f} MiB (goal < 2 s, < 200 MiB)")
    print(f"  read + parse only   {floor:6.2f} s  peak RSS {floor_rss:5.0f} MiB")
    print(f"  ratio               {wall / floor:6.2f}x the floor")
    print(f"  fail group: {failed['nodes'][:60]} ({failed['count']})")


def bench_srun(work: Path) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from slurmlab import SlurmLab

    lab = SlurmLab(work / "lab", 64)
    try:
        env = lab.env
        bare, _, _ = run(["srun", "-N64", "--ntasks-per-node=1", "true"], env=env)
        fleet, _, proc = run(
            [sys.executable, "-m", "devdoctor", "fleet", "srun", "-w", "node[01-64]", "--",
             *RULES, "--offline"],
            env=env,
        )  # fmt: skip
        start = time.perf_counter()
        for _ in range(64):  # what a user without fleet would do: one node after another
            run([sys.executable, "-m", "devdoctor", "check", *RULES, "--offline"], env=env)
        sequential = time.perf_counter() - start
        print("srun: 64 slurmd on this machine")
        print(f"  bare srun -N64 true         {bare:6.2f} s")
        print(f"  fleet srun (64 checks)      {fleet:6.2f} s  = {fleet / bare:.1f}x bare srun")
        print(f"  64 sequential checks   {sequential:6.2f} s  = {sequential / fleet:.1f}x fleet")
        print("  " + proc.stdout.decode().splitlines()[0])
    finally:
        lab.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, default=10_000)
    parser.add_argument("--srun", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        bench_merge(args.nodes, Path(tmp))
        if args.srun:
            bench_srun(Path(tmp))


if __name__ == "__main__":
    main()
