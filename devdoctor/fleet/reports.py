"""Reading node reports as they arrive from an engine: JSON files (one per node), JSON lines on
srun's or clush's stdout (`node03: {...}` prefixes stripped), folders of either. What cannot be
read is kept as a finding of its own, never dropped: the node that cannot even report is the
sickest one."""

from __future__ import annotations

import datetime
import json
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devdoctor.errors import UsageError

# clush -L / pdsh prefix a line with the host name; srun --label with the task number.
_PREFIX = re.compile(r"^(?P<node>[A-Za-z0-9][A-Za-z0-9._\-\[\],]*|\d+):\s?(?=\{)")
_MAX_LINE = 16 * 1024 * 1024
FIX_KINDS = ("fix-plan", "fix", "undo")  # what `fix`/`undo` print for `fleet fix`
# What a report's target block is kept for: drift (see merge.DRIFT_TARGET) and the packages.
TARGET_FACTS = (
    "version",
    "implementation",
    "machine",
    "glibc",
    "platform",
    "packages",
)  # a report line longer than this is not one of ours


@dataclass(frozen=True)
class NodeReport:
    node: str
    source: str  # where it was read: a file, a file:line, stdin:line
    data: dict[str, Any]
    generated_at: datetime.datetime | None


@dataclass(frozen=True)
class Unusable:
    source: str
    reason: str
    node: str | None = None  # when the file name or a line prefix says whose it was


@dataclass
class Collected:
    reports: dict[str, NodeReport] = field(default_factory=dict)
    unusable: list[Unusable] = field(default_factory=list)
    duplicated: dict[str, list[str]] = field(default_factory=dict)  # node -> every source


def _when(data: dict[str, Any]) -> datetime.datetime | None:
    said = (data.get("host") or {}).get("generated_at")
    if not isinstance(said, str):
        return None
    try:
        when = datetime.datetime.fromisoformat(said.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=datetime.UTC)


def _parse(text: str, source: str, fallback: str | None) -> NodeReport | Unusable:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return Unusable(source, f"not JSON ({exc.msg} at character {exc.pos})", fallback)
    except ValueError as exc:
        return Unusable(source, f"not JSON ({exc})", fallback)
    fix_output = isinstance(data, dict) and data.get("kind") in FIX_KINDS
    if not isinstance(data, dict) or not (fix_output or isinstance(data.get("results"), list)):
        return Unusable(source, "JSON, but not a devdoctor report", fallback)
    host: dict[str, Any] = data["host"] if isinstance(data.get("host"), dict) else {}
    node = host.get("node") if isinstance(host.get("node"), str) else None
    node = node or fallback
    if not node:
        return Unusable(source, "the report names no node (no host block)")
    return NodeReport(node, source, data if fix_output else _slim(data), _when(data))


def _slim(data: dict[str, Any]) -> dict[str, Any]:
    """What the merge reads, so 10,000 reports fit in memory: no facts on passing diagnostics,
    no alternatives, no per-rule timings."""
    target = data["target"] if isinstance(data.get("target"), dict) else {}
    results = []
    for result in data["results"]:
        if not isinstance(result, dict):
            continue
        diagnostics = []
        for d in result.get("diagnostics") or []:
            if not isinstance(d, dict):
                continue
            keep = {k: d.get(k) for k in ("status", "message", "fix")}
            facts = d.get("facts")
            if d.get("status") != "pass" or (isinstance(facts, dict) and "driver" in facts):
                keep["facts"] = facts  # (a pass may carry the driver facts drift compares)
            diagnostics.append(keep)
        results.append(
            {k: result.get(k) for k in ("code", "name", "status", "node")}
            | {"diagnostics": diagnostics}
        )
    return {
        "devdoctor_version": data.get("devdoctor_version"),
        "host": data.get("host") if isinstance(data.get("host"), dict) else {},
        "target": {k: target.get(k) for k in TARGET_FACTS if k in target},
        "results": results,
    }


def read_lines(text: str, source: str, owner: str | None = None) -> Iterator[NodeReport | Unusable]:
    """JSON lines; `owner` is whose they are when the file's name says so (node05.json)."""
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        where = f"{source}:{number}"
        if len(line) > _MAX_LINE:
            yield Unusable(where, "a line longer than 16 MiB")
            continue
        prefix = _PREFIX.match(line)
        node = None
        if prefix and not line.startswith("{"):
            node = prefix.group("node")
            line = line[prefix.end() :]
        elif not line.startswith("{"):
            said = line.split(":", 1)[0] if ":" in line[:64] else None
            said = said if said and _PREFIX.match(said + ":{") else owner
            yield Unusable(where, f"not a report line: {line[:80]!r}", said)
            continue
        yield _parse(line, where, node if node and not node.isdigit() else owner)


def read_text(text: str, source: str, stem: str | None) -> Iterator[NodeReport | Unusable]:
    body = text.strip()
    if not body:
        yield Unusable(source, "empty", stem)
        return
    if body.startswith("{"):
        try:  # one (pretty-printed) document, or else JSON lines
            json.loads(body)
        except ValueError:
            if "\n" in body:
                yield from read_lines(body, source, stem)
                return
        yield _parse(body, source, stem)
        return
    yield from read_lines(body, source, stem)


def _files(where: str) -> Iterator[Path]:
    path = Path(where)
    if path.is_dir():
        found = sorted(p for p in path.iterdir() if p.suffix in (".json", ".jsonl") and p.is_file())
        yield from found
    elif path.is_file():
        yield path
    else:
        raise UsageError(f"{where}: no such file or folder")


def read(sources: Iterable[str]) -> Iterator[NodeReport | Unusable]:
    """Every report or unusable input from files, folders and `-` (stdin), in order."""
    for where in sources:
        if where == "-":
            yield from read_text(sys.stdin.read(), "stdin", None)
            continue
        for file in _files(where):
            try:
                text = file.read_text(encoding="utf-8", errors="replace")
            except OSError as exc:
                yield Unusable(str(file), f"cannot read: {exc.strerror or exc}", file.stem)
                continue
            stem = file.stem if file.suffix == ".json" else None
            yield from read_text(text, str(file), stem)


def collect(items: Iterable[NodeReport | Unusable]) -> Collected:
    """One report per node (the newest); two reports for one node are a finding (two machines
    with one name, or a job ran twice)."""
    out = Collected()
    for item in items:
        if isinstance(item, Unusable):
            out.unusable.append(item)
            continue
        have = out.reports.get(item.node)
        if have is None:
            out.reports[item.node] = item
            continue
        out.duplicated.setdefault(item.node, [have.source]).append(item.source)
        epoch = datetime.datetime.min.replace(tzinfo=datetime.UTC)
        if (item.generated_at or epoch) >= (have.generated_at or epoch):
            out.reports[item.node] = item
    return out
