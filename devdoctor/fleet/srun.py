"""`fleet srun`: one `devdoctor check --format jsonl` per node of the user's allocation through the
real srun, the reports merged as they come back. The user's srun options pass through unchanged.

srun forwards a task's output in pieces of at most 1024 bytes and interleaves the tasks' pieces,
so a report line longer than that arrives cut and mixed with others. With --label each piece
carries its task number: the pieces of one task, in order, are put back together."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence

from devdoctor.errors import UsageError
from devdoctor.fleet.reports import NodeReport, Unusable, read_lines, read_text

PIECE = 1024  # srun's largest piece of forwarded output (a shorter piece ends a line)
_LABEL = re.compile(r"^\s*(\d+): ?(.*)$")

# srun options that name the nodes: what was asked for is what must report
_NODELIST = ("-w", "--nodelist")


def command(srun_args: Sequence[str], devdoctor_args: Sequence[str]) -> list[str]:
    """srun running `devdoctor ARGS` once per node."""
    srun = shutil.which("srun")
    if srun is None:
        raise UsageError("srun is not on PATH: run fleet srun on a Slurm login or compute node")
    return [
        srun,
        "--ntasks-per-node=1",
        "--kill-on-bad-exit=0",  # a node that fails its check must not stop the others
        "--label",  # each piece of output names its task: see the module docstring
        *srun_args,
        sys.executable,  # the same devdoctor, as installed here (a shared filesystem on clusters)
        "-m",
        "devdoctor",
        *devdoctor_args,
    ]


def expected_nodes(srun_args: Sequence[str], env: Mapping[str, str]) -> str | None:
    """The host list the run must cover: -w/--nodelist, else the allocation's."""
    args = list(srun_args)
    for n, arg in enumerate(args):
        name, eq, value = arg.partition("=")
        if name in _NODELIST:
            return value if eq else (args[n + 1] if n + 1 < len(args) else None)
        if arg.startswith("-w") and len(arg) > 2:  # -wnode[01-04]
            return arg[2:]
    if any(a in ("-N", "--nodes") or a.startswith(("-N", "--nodes=")) for a in args):
        return None  # srun picks the nodes: whoever reports is the set
    return env.get("SLURM_JOB_NODELIST") or None


def run(cmd: Sequence[str], timeout: float | None) -> tuple[list[NodeReport | Unusable], int]:
    """srun's stdout as reports; its stderr goes straight to the user's terminal."""
    env = dict(os.environ)
    env.pop("SLURM_CPU_BIND", None)  # an inherited binding from salloc can refuse a 1-task step
    try:
        proc = subprocess.Popen(
            list(cmd), stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env
        )
    except OSError as exc:
        raise UsageError(f"cannot run srun: {exc.strerror or exc}") from None
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        # Two SIGINTs within a second make srun cancel the step on every node (killing srun
        # alone would leave the tasks running); then what came back is merged.
        proc.send_signal(signal.SIGINT)
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        try:
            out, _ = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
        return reassemble(out.decode("utf-8", "replace")), 124
    return reassemble(out.decode("utf-8", "replace")), proc.returncode


def reassemble(labelled: str) -> list[NodeReport | Unusable]:
    """srun --label output -> each task's text, read as reports."""
    pieces: dict[int, list[str]] = {}
    stray: list[str] = []
    for line in labelled.splitlines():
        found = _LABEL.match(line)
        if found:
            pieces.setdefault(int(found.group(1)), []).append(found.group(2))
        elif line.strip():
            stray.append(line)
    out: list[NodeReport | Unusable] = []
    for task, parts in sorted(pieces.items()):
        source = f"srun task {task}"
        whole = "".join(parts)
        try:
            json.loads(whole)
        except ValueError:  # more than one line: a piece shorter than PIECE ended one
            lines, current = [], ""
            for part in parts:
                current += part
                if len(part) < PIECE:
                    lines.append(current)
                    current = ""
            whole = "\n".join([*lines, current] if current else lines)
        items = list(read_text(whole, source, None))
        # Stray output of a task that also reported is that node's, not an unknown one's.
        node = next((i.node for i in items if isinstance(i, NodeReport)), None)
        out.extend(
            Unusable(i.source, i.reason, i.node or node) if isinstance(i, Unusable) else i
            for i in items
        )
    if stray:
        out.extend(read_lines("\n".join(stray), "srun"))
    return out
