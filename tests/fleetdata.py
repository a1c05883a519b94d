"""Node reports for the fleet tests: real reports (from the real CLI) renamed per node."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any


def as_node(report: dict[str, Any], node: str, **target: Any) -> dict[str, Any]:
    copied = copy.deepcopy(report)
    copied["host"]["node"] = node
    copied["target"].update(target)
    return copied


def write(folder: Path, items: dict[str, dict[str, Any]]) -> Path:
    folder.mkdir(exist_ok=True)
    for node, report in items.items():
        (folder / f"{node}.json").write_text(json.dumps(report))
    return folder


def fleet_of(reports: Any, count: int, bad: set[str]) -> dict[str, dict[str, Any]]:
    good, failing = reports
    names = [f"node{i:02d}" for i in range(1, count + 1)]
    return {n: as_node(failing if n in bad else good, n) for n in names}
