"""Fixing across a fleet: the nodes' plans grouped, the changes to shared files found, and the
rollout cut into a shared step, a canary and batches that stop at the failure budget.

Only safe fixes roll out unless a rule is named with --unsafe-fixes; display-only fixes are
instructions (the shell they talk about is not the rollout's). A change to a file that several
nodes see — a network file system from the mount table, or the same inode on one machine — is
applied once, by one node, before the others: 64 nodes editing one `activate` at once would race.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devdoctor.fleet.nodes import fold
from devdoctor.fleet.reports import NodeReport, Unusable

# apply.Outcome values that mean done (a persisted variable is "fixed" for the next shell)
RESOLVED = ("fixed", "takes effect in a new shell/process")


@dataclass(frozen=True)
class Change:
    """One fix as planned on one node."""

    node: str
    code: str
    title: str
    applicability: str
    changes: tuple[str, ...]  # the environment changes, as the plan words them
    edits: tuple[dict[str, Any], ...]
    instructions: str
    boot_id: str


@dataclass
class Plans:
    changes: list[Change] = field(default_factory=list)
    nodes: list[str] = field(default_factory=list)  # every node that answered
    unusable: list[Unusable] = field(default_factory=list)


def read_plans(items: Iterable[NodeReport | Unusable]) -> Plans:
    plans = Plans()
    for item in items:
        if isinstance(item, Unusable):
            plans.unusable.append(item)
            continue
        if item.data.get("kind") != "fix-plan":
            plans.unusable.append(Unusable(item.source, "not a fix plan", item.node))
            continue
        plans.nodes.append(item.node)
        boot = str((item.data.get("host") or {}).get("boot_id") or "")
        for fix in item.data.get("fixes") or []:
            plans.changes.append(
                Change(
                    item.node,
                    str(fix.get("code")),
                    str(fix.get("title")),
                    str(fix.get("applicability")),
                    tuple(str(c) for c in fix.get("changes") or ()),
                    tuple(e for e in fix.get("edits") or () if isinstance(e, dict)),
                    str(fix.get("instructions") or ""),
                    boot,
                )
            )
    return plans


def wanted(change: Change, unsafe_codes: Sequence[str]) -> bool:
    if change.applicability == "safe":
        return True
    return change.applicability == "unsafe" and change.code in unsafe_codes


def shared_targets(changes: Sequence[Change]) -> dict[str, list[Change]]:
    """target path -> the changes that write it, for targets more than one node sees."""
    by_file: dict[tuple[Any, ...], list[tuple[str, Change]]] = {}
    for change in changes:
        for edit in change.edits:
            fs = edit.get("filesystem") or {}
            if not edit.get("target"):
                continue
            if fs.get("shared"):  # a network file system: the same path is the same file
                key: tuple[Any, ...] = ("path", edit["target"])
            elif fs.get("dev") is not None:  # one machine: the same inode is the same file
                key = ("inode", change.boot_id, fs["dev"], fs["ino"])
            else:
                continue
            by_file.setdefault(key, []).append((edit["target"], change))
    found: dict[str, list[Change]] = {}
    for entries in by_file.values():
        nodes = {c.node for _, c in entries}
        if len(nodes) > 1:
            found[entries[0][0]] = [c for _, c in entries]
    return found


def groups(plans: Plans, unsafe_codes: Sequence[str]) -> list[dict[str, Any]]:
    """Identical planned changes (rule, fix, environment changes) with the nodes that plan them."""
    keyed: dict[tuple[Any, ...], list[Change]] = {}
    for change in plans.changes:
        keyed.setdefault(
            (change.code, change.title, change.applicability, change.changes), []
        ).append(change)
    shared = shared_targets([c for c in plans.changes if wanted(c, unsafe_codes)])
    shared_nodes = {(c.node, c.code) for cs in shared.values() for c in cs}
    out = []
    for (code, title, applicability, changes), members in keyed.items():
        nodes = [c.node for c in members]
        out.append(
            {
                "code": code,
                "title": title,
                "applicability": applicability,
                "changes": list(changes),
                "nodes": fold(nodes),
                "count": len(nodes),
                "node_list": nodes,
                "rollout": "yes" if wanted(members[0], unsafe_codes) else "no",
                "shared": sorted({t for t, cs in shared.items() if any(c in members for c in cs)}),
                "shared_nodes": fold(n for n in nodes if (n, code) in shared_nodes),
                "instructions": members[0].instructions,
            }
        )
    out.sort(key=lambda g: (g["rollout"] != "yes", -g["count"], g["code"]))
    return out


@dataclass(frozen=True)
class Step:
    label: str  # "shared", "canary", "batch 1", ...
    nodes: tuple[str, ...]
    codes: tuple[str, ...]


def steps(plans: Plans, unsafe_codes: Sequence[str], canary: int, batch: int) -> list[Step]:
    """Shared files first (one node each), then a canary, then batches of the rest."""
    chosen = [c for c in plans.changes if wanted(c, unsafe_codes)]
    out: list[Step] = []
    done_shared: set[tuple[str, str]] = set()
    for _target, changes in sorted(shared_targets(chosen).items()):
        first = sorted(changes, key=lambda c: c.node)[0]
        if (first.node, first.code) in done_shared:
            continue
        done_shared.add((first.node, first.code))
        out.append(Step("shared", (first.node,), (first.code,)))
    nodes = sorted({c.node for c in chosen})
    codes_of = {n: tuple(sorted({c.code for c in chosen if c.node == n})) for n in nodes}
    rest = list(nodes)
    if canary and rest:
        head, rest = rest[:canary], rest[canary:]
        out += _by_codes("canary", head, codes_of)
    for number, start in enumerate(range(0, len(rest), max(batch, 1)), 1):
        out += _by_codes(f"batch {number}", rest[start : start + max(batch, 1)], codes_of)
    return out


def _by_codes(label: str, nodes: Sequence[str], codes_of: dict[str, tuple[str, ...]]) -> list[Step]:
    """One srun per set of rule codes (nodes planning the same fixes run together)."""
    together: dict[tuple[str, ...], list[str]] = {}
    for node in nodes:
        together.setdefault(codes_of[node], []).append(node)
    return [Step(label, tuple(ns), codes) for codes, ns in together.items()]


def outcomes(
    items: Iterable[NodeReport | Unusable], expected: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """node -> {"ok": bool, "runs": [...], "detail": str} from the nodes' `fix --apply` output."""
    found: dict[str, dict[str, Any]] = {}
    for item in items:
        if isinstance(item, Unusable):
            if item.node:
                found[item.node] = {"ok": False, "runs": [], "detail": item.reason}
            continue
        applied = item.data.get("applied") or []
        bad = [a for a in applied if a.get("outcome") not in RESOLVED]
        found[item.node] = {
            "ok": not bad,
            "runs": sorted({a["run"] for a in applied if a.get("run")}),
            "detail": "; ".join(
                f"{a.get('code')} {a.get('outcome')}: {a.get('detail', '')}" for a in bad
            ),
        }
    for node in expected:
        found.setdefault(node, {"ok": False, "runs": [], "detail": "no answer from the node"})
    return found


def new_id(now: float | None = None) -> str:
    import uuid

    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now if now is not None else time.time()))
    return f"{stamp}-{uuid.uuid4().hex[:6]}"


def record_path(state_dir: Path, run_id: str) -> Path:
    return state_dir / "fleet" / f"{run_id}.json"


def save_record(state_dir: Path, record: dict[str, Any]) -> Path:
    from devdoctor.private import write_private

    path = record_path(state_dir, record["id"])
    write_private(path, json.dumps(record, indent=1).encode())
    return path
