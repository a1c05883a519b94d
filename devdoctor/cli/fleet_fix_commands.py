"""`devdoctor fleet fix plan|apply` and `fleet undo`: fixes rolled out through srun — shared
files once, then a canary and batches — and undone on exactly the nodes that wrote something."""

from __future__ import annotations

import os
import shlex
import sys
import time
from collections.abc import Sequence
from typing import Any

from devdoctor.errors import DevdoctorError, UsageError
from devdoctor.redact import Redactor, strip_controls


def _split(args: Sequence[str]) -> tuple[list[str], list[str]]:
    """[SRUN OPTIONS] [-- DEVDOCTOR ARGS]."""
    args = list(args)
    if "--" in args:
        at = args.index("--")
        return args[:at], args[at + 1 :]
    return args, []


def _srun_json(srun_args: Sequence[str], devdoctor_args: Sequence[str]) -> list[Any]:
    from devdoctor.fleet import srun

    cmd = srun.command(srun_args, devdoctor_args)
    print(f"running: {shlex.join(cmd)}", file=sys.stderr)
    items, _code = srun.run(cmd, None)
    return items


def _fleet_plans(args: Sequence[str]) -> tuple[Any, list[str], list[str]]:
    """Every node's `fix` preview: (plans, the fix arguments, nodes that gave none)."""
    from devdoctor.fleet import rollout, srun
    from devdoctor.fleet.nodes import expand

    srun_args, fix_args = _split(args)
    plans = rollout.read_plans(_srun_json(srun_args, ["fix", "--format", "jsonl", *fix_args]))
    expected = srun.expected_nodes(srun_args, os.environ)
    missing = sorted(set(expand(expected)) - set(plans.nodes)) if expected else []
    return plans, fix_args, missing


def fleet_fix_plan(args: Sequence[str], fmt: str, unsafe: Sequence[str]) -> int:
    """Every node's fix preview, identical changes grouped; nothing is written."""
    import json

    from devdoctor.fleet import rollout

    if fmt not in ("text", "json"):
        raise UsageError(f"--format {fmt}: choose text or json")
    plans, _, missing = _fleet_plans(args)
    groups = rollout.groups(plans, unsafe)
    model = Redactor().data(
        {
            "kind": "fleet-fix-plan",
            "nodes": fold_of(plans.nodes),
            "missing": fold_of(missing),
            "unusable": [
                {"source": u.source, "node": u.node, "reason": u.reason} for u in plans.unusable
            ],
            "groups": groups,
        }
    )
    if fmt == "json":
        sys.stdout.write(json.dumps(model, indent=2) + "\n")
    else:
        sys.stdout.write(_plan_text(model))
    return 2 if missing or plans.unusable else 0


def fold_of(names: Sequence[str]) -> str:
    from devdoctor.fleet.nodes import fold

    return fold(names)


def _plan_text(model: dict[str, Any]) -> str:
    lines = [f"plans from {model['nodes'] or 'no node'}"]
    if model["missing"]:
        lines.append(f"MISSING on {model['missing']}  no plan")
    for u in model["unusable"]:
        lines.append(
            strip_controls(f"UNUSABLE on {u['node'] or '?'}  {u['source']}: {u['reason']}")
        )
    if not model["groups"]:
        lines.append("nothing to fix on any node")
    for g in model["groups"]:
        head = f"{g['code']} on {g['nodes']} ({g['count']}): {g['applicability']}: {g['title']}"
        lines.append(strip_controls(head))
        for change in g["changes"]:
            lines.append(strip_controls(f"    {change}"))
        if g["rollout"] == "no":
            why = (
                "display-only: yours to run"
                if g["applicability"] == "display-only"
                else (f"unsafe: name it with --unsafe-fixes {g['code']}")
            )
            lines.append(f"    not rolled out ({why})")
        for target in g["shared"]:
            lines.append(strip_controls(f"    shared file {target}: applied once, by one node"))
    return "\n".join(lines) + "\n"


def fleet_fix_apply(
    args: Sequence[str],
    unsafe: Sequence[str],
    canary: int,
    batch: int,
    max_fail: int,
    engine: str,
) -> int:
    from devdoctor import paths
    from devdoctor.fleet import rollout
    from devdoctor.fleet.nodes import fold

    if engine != "slurm":
        raise UsageError(
            f"--engine {engine}: fleet fix apply runs through slurm; with Ansible use the "
            "playbook from `devdoctor fleet render playbook` (serial, max_fail_percentage)"
        )
    if canary < 0 or batch < 1 or max_fail < 0:
        raise UsageError("--canary >= 0, --batch >= 1 and --max-fail >= 0")
    plans, fix_args, missing = _fleet_plans(args)
    srun_args, _ = _split(args)
    if missing or plans.unusable:
        print(
            f"devdoctor: error: no plan from {fold(missing) or 'some nodes'}: nothing applied",
            file=sys.stderr,
        )
        return 2
    run_id = rollout.new_id()
    record: dict[str, Any] = {
        "id": run_id,
        "created": time.time(),
        "engine": engine,
        "nodes": {},
        "steps": [],
    }
    steps = rollout.steps(plans, unsafe, canary, batch)
    if not steps:
        print(
            "nothing to roll out: no node plans a safe fix"
            + (" (or a named unsafe one)" if unsafe else "")
        )
        return 0
    failed = 0
    stopped = ""
    for step in steps:
        codes = list(step.codes)
        unsafe_here = [c for c in codes if c in unsafe]
        cmd_args = ["fix", "--apply", "--yes", "--format", "jsonl", "--fleet-run", run_id]
        cmd_args += (["--unsafe-fixes"] if unsafe_here else []) + [*fix_opts(fix_args), *codes]
        items = _srun_json([*_without_nodelist(srun_args), "-w", fold(step.nodes)], cmd_args)
        results = rollout.outcomes(items, step.nodes)
        for node, result in results.items():
            mine = record["nodes"].setdefault(node, {"runs": [], "ok": True, "detail": ""})
            mine["runs"] = sorted(set(mine["runs"]) | set(result["runs"]))
            mine["ok"] = mine["ok"] and result["ok"]
            mine["detail"] = result["detail"] or mine["detail"]
        bad = [n for n, r in results.items() if not r["ok"]]
        failed += len(bad)
        record["steps"].append(
            {"label": step.label, "nodes": fold(step.nodes), "codes": codes, "failed": fold(bad)}
        )
        rollout.save_record(paths.state_dir(), record)  # after every step: undo knows the runs
        print(
            strip_controls(
                f"{step.label}: {' '.join(codes)} on {fold(step.nodes)}: "
                + (f"failed on {fold(bad)}" if bad else "fixed")
            )
        )
        for node in bad:
            print(strip_controls(f"    {node}: {results[node]['detail']}"))
        if failed > max_fail:
            stopped = f"stopped after {step.label}: {failed} node(s) failed (--max-fail {max_fail})"
            break
    record["stopped"] = stopped
    rollout.save_record(paths.state_dir(), record)
    if stopped:
        print(stopped)
    print(
        f"fleet run {run_id}: `devdoctor fleet undo {run_id}` reverts it on every node it touched"
    )
    return 1 if failed else 0


def _without_nodelist(args: Sequence[str]) -> list[str]:
    """The user's srun options without -w/--nodelist (each step names its own nodes)."""
    out: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg in ("-w", "--nodelist"):
            skip = True
            continue
        if arg.startswith(("--nodelist=", "-w")) and arg not in ("-w",):
            continue
        if arg in ("-N", "--nodes"):
            skip = True
            continue
        if arg.startswith(("-N", "--nodes=")):
            continue
        out.append(arg)
    return out


_FIX_VALUE_OPTIONS = {"--python", "--target", "--alternative", "--from-log", "--message", "-m"}


def fix_opts(fix_args: Sequence[str]) -> list[str]:
    """The `fix` options given after `--`, without the rule names: each step names the rules
    that its nodes planned."""
    from devdoctor.core import registry

    known = registry.load()
    out: list[str] = []
    value_next = False
    for arg in fix_args:
        if value_next or arg.startswith("-"):
            out.append(arg)
            value_next = arg in _FIX_VALUE_OPTIONS
            continue
        try:
            known.resolve([arg])
        except DevdoctorError:
            out.append(arg)
    return out


def fleet_undo(run_id: str, srun_args: Sequence[str]) -> int:
    import json

    from devdoctor import paths
    from devdoctor.fixes.journal import RUN_ID
    from devdoctor.fleet import rollout
    from devdoctor.fleet.nodes import fold
    from devdoctor.fleet.reports import NodeReport

    if not RUN_ID.fullmatch(run_id):
        raise UsageError(f"{run_id!r} is not a fleet run id (see `fleet fix apply`'s last line)")
    try:
        record = json.loads(rollout.record_path(paths.state_dir(), run_id).read_text())
    except FileNotFoundError:
        raise UsageError(f"no fleet run {run_id} on this machine") from None
    except (OSError, ValueError) as exc:
        raise UsageError(f"fleet run {run_id}: unreadable record: {exc}") from None
    touched = record.get("nodes") if isinstance(record, dict) else None
    if not isinstance(touched, dict):
        raise UsageError(f"fleet run {run_id}: the record names no nodes")
    nodes = sorted(n for n, info in touched.items() if isinstance(info, dict) and info.get("runs"))
    if not nodes:
        print(f"fleet run {run_id} wrote nothing on any node: nothing to undo")
        return 0
    items = _srun_json(
        [*_without_nodelist(srun_args), "-w", fold(nodes)],
        ["undo", "--fleet-run", run_id, "--yes"],
    )
    answered = {item.node: item.data for item in items if isinstance(item, NodeReport)}
    refused = [n for n in nodes if n not in answered or answered[n].get("refused")]
    for node in nodes:
        said = answered.get(node)
        if said is None:
            print(f"{node}: no answer: nothing known to be undone")
        elif said.get("refused"):
            print(strip_controls(f"{node}: refused: files changed since devdoctor wrote them"))
        else:
            print(f"{node}: undone {len(said.get('undone', []))} run(s)")
    return 1 if refused else 0
