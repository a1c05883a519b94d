"""Many node reports -> one verdict per problem: identical results grouped over folded node names
(clubak's idea), silence as rows of its own (missing, stale, unusable, duplicated), and drift —
the majority's facts against the outliers' (clush --diff's idea)."""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from devdoctor import __version__
from devdoctor.fleet.nodes import fold
from devdoctor.fleet.reports import Collected, NodeReport

ORDER = {"fail": 0, "error": 1, "warn": 2, "skip": 3, "pass": 4}
# Facts compared across nodes: where they are read in a report.
DRIFT_TOP = ("devdoctor_version",)
DRIFT_TARGET = ("version", "implementation", "machine", "glibc")
# Facts some rules report (the gpu family's driver, the torch build): the first seen per node.
DRIFT_RULE_FACTS = ("driver", "driver_cuda", "torch", "torch_cuda")


@dataclass(frozen=True)
class Options:
    expected: Sequence[str] = ()  # node names (expanded); empty: the reporting nodes
    max_age: datetime.timedelta | None = None
    by: str = "message"  # or "code": one group per rule and status
    now: datetime.datetime | None = None  # the clock, injected by tests


def _groups(reports: dict[str, NodeReport], by: str) -> list[dict[str, Any]]:
    keyed: dict[tuple[str, str, str], dict[str, Any]] = {}
    nodes: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for node, report in sorted(reports.items()):
        for result in report.data.get("results") or []:
            if not isinstance(result, dict):
                continue
            code = str(result.get("code", "?"))
            status = str(result.get("status", "error"))
            diagnostics = [d for d in result.get("diagnostics") or [] if isinstance(d, dict)]
            worst = [d for d in diagnostics if d.get("status") == status] or diagnostics or [{}]
            first = worst[0]
            # Passes differ in detail from node to node ("120 distributions" vs "121"): a pass
            # is one group per rule; other results group by what they say.
            message = "" if status == "pass" or by == "code" else str(first.get("message", ""))
            key = (code, status, message)
            if key not in keyed:
                keyed[key] = {
                    "code": code,
                    "name": str(result.get("name", "")),
                    "status": status,
                    "node_scope": bool(result.get("node", False)),
                    "message": str(first.get("message", "")),
                    "fix": first.get("fix"),
                    "facts": {},
                }
            if status != "pass":  # what each failing node said; passes need no detail
                keyed[key]["facts"][node] = first.get("facts") or {}
            nodes[key].append(node)
    out = []
    for key, group in keyed.items():
        members = nodes[key]
        out.append({**group, "nodes": fold(members), "count": len(members), "node_list": members})
    out.sort(key=lambda g: (ORDER.get(g["status"], 1), -g["count"], g["code"], g["message"]))
    return out


def _facts_of(report: NodeReport) -> dict[str, str]:
    data = report.data
    found: dict[str, str] = {}
    for key in DRIFT_TOP:
        if data.get(key) is not None:
            found[key] = str(data[key])
    target: dict[str, Any] = data["target"] if isinstance(data.get("target"), dict) else {}
    for key in DRIFT_TARGET:
        if target.get(key) is not None:
            found[f"python.{key}" if key in ("version", "implementation") else key] = str(
                target[key]
            )
    for name, version in (target.get("packages") or {}).items():
        found[f"package.{name}"] = str(version)
    for result in data.get("results") or []:
        for diagnostic in (result.get("diagnostics") or []) if isinstance(result, dict) else []:
            facts = diagnostic.get("facts") if isinstance(diagnostic, dict) else None
            for key in DRIFT_RULE_FACTS:
                if isinstance(facts, dict) and facts.get(key) and key not in found:
                    found[key] = str(facts[key])
    return found


def _drift(reports: dict[str, NodeReport]) -> list[dict[str, Any]]:
    by_fact: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for node, report in reports.items():
        for fact, value in _facts_of(report).items():
            by_fact[fact][value].append(node)
    drift = []
    for fact, values in sorted(by_fact.items()):
        missing = set(reports) - {n for nodes in values.values() for n in nodes}
        if len(values) < 2 and not (values and missing):
            continue
        ranked = sorted(values.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        majority, *others = ranked
        drift.append(
            {
                "fact": fact,
                "majority": {"value": majority[0], "nodes": fold(majority[1])},
                "outliers": [{"value": v, "nodes": fold(n)} for v, n in others]
                + ([{"value": None, "nodes": fold(missing)}] if missing else []),
            }
        )
    return drift


def merge(collected: Collected, options: Options) -> dict[str, Any]:
    now = options.now or datetime.datetime.now(datetime.UTC)
    reports = dict(collected.reports)
    expected = list(options.expected) or sorted(reports)
    unexpected = sorted(set(reports) - set(expected)) if options.expected else []
    stale = sorted(
        node
        for node, r in reports.items()
        if options.max_age is not None
        and (r.generated_at is None or now - r.generated_at > options.max_age)
    )
    fresh = {n: r for n, r in reports.items() if n not in stale}
    # A node with a usable report and a stray line (a library printing to stdout) still reported.
    unusable_nodes = {u.node for u in collected.unusable if u.node} - set(reports)
    missing = sorted(set(expected) - set(reports) - unusable_nodes)
    groups = _groups(fresh, options.by)
    failing = {n for g in groups if g["status"] in ("fail", "error") for n in g["node_list"]}
    exclude = failing | set(missing) | set(stale) | (unusable_nodes & set(expected))
    return {
        "schema_version": 1,
        "kind": "fleet",
        "devdoctor_version": __version__,
        "generated_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "nodes": {
            "expected": fold(expected),
            "expected_count": len(expected),
            "reported": fold(reports),
            "reported_count": len(reports),
            "missing": fold(missing),
            "stale": fold(stale),
            "unusable": fold(unusable_nodes),
            "duplicated": fold(collected.duplicated),
            "unexpected": fold(unexpected),
        },
        "stale": [_stale(reports[n], now) for n in stale],
        "unusable": [
            {
                "source": u.source,
                "node": u.node,
                "reason": u.reason,
                "reported": u.node in reports,  # beside a usable report: a note, not silence
            }
            for u in collected.unusable
        ],
        "duplicated": [{"node": n, "sources": s} for n, s in sorted(collected.duplicated.items())],
        "groups": groups,
        "drift": _drift(fresh),
        "exclude": fold(exclude),
    }


def _stale(report: NodeReport, now: datetime.datetime) -> dict[str, Any]:
    when = report.generated_at
    return {
        "node": report.node,
        "generated_at": when.strftime("%Y-%m-%dT%H:%M:%SZ") if when else None,
        "age_s": int((now - when).total_seconds()) if when else None,
    }


def exit_code(model: dict[str, Any]) -> int:
    """0 all pass; 2 a report missing, stale or unusable (silence is the worse news); 1 a
    failure or an error."""
    nodes = model["nodes"]
    if nodes["missing"] or nodes["stale"] or any(not u["reported"] for u in model["unusable"]):
        return 2
    if any(g["status"] in ("fail", "error") for g in model["groups"]):
        return 1
    return 0


def status_counts(model: dict[str, Any]) -> Counter[str]:
    return Counter(g["status"] for g in model["groups"])
