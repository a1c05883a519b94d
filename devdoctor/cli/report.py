"""Every command's output as one plain, JSON-ready model; secrets are scrubbed here, once."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from devdoctor import __version__
from devdoctor.core.engine import Result
from devdoctor.core.fix import Fix, FixAvailability
from devdoctor.core.registry import BrokenPlugin, Registry
from devdoctor.core.rule import Status
from devdoctor.redact import Redactor

if TYPE_CHECKING:  # the write layer loads only for `fix`
    from devdoctor.fixes.apply import Applied, Planned

SCHEMA_VERSION = 1
Model = dict[str, Any]


def fix_model(fix: Fix | None) -> dict[str, Any] | None:
    if fix is None:
        return None
    model = {"title": fix.title, "applicability": fix.applicability.value}
    if fix.instructions:
        model["instructions"] = fix.instructions  # what to run by hand
    return model


def result_model(result: Result) -> Model:
    return {
        "code": result.rule.code,
        "name": result.rule.name,
        "category": result.rule.category,
        "node": result.rule.node,
        "status": result.status.value,
        "duration_ms": result.duration_ms,
        "diagnostics": [
            {
                "status": d.status.value,
                "message": d.message,
                "facts": dict(d.facts),
                "fix": fix_model(d.fix),
                "alternatives": [fix_model(f) for f in d.fixes[1:]],
            }
            for d in result.diagnostics
        ],
    }


def broken_model(plugin: BrokenPlugin) -> Model:
    """A plugin that failed to load is reported like a crashed rule."""
    return {
        "code": "plugin",
        "name": plugin.name,
        "category": "Plugins",
        "status": "error",
        "duration_ms": 0,
        "diagnostics": [{"status": "error", "message": plugin.reason, "facts": {}, "fix": None}],
    }


def check_model(
    results: Sequence[Result],
    target: dict[str, Any],
    broken: Sequence[BrokenPlugin],
    notes: Sequence[str] = (),
    host: dict[str, Any] | None = None,
) -> Model:
    return {
        "schema_version": SCHEMA_VERSION,
        "devdoctor_version": __version__,
        **({"host": host} if host else {}),
        "target": target,
        "results": [result_model(r) for r in results] + [broken_model(b) for b in broken],
        "notes": list(notes),
    }


def rules_model(registry: Registry) -> Model:
    return {
        "schema_version": SCHEMA_VERSION,
        "rules": [
            {
                "code": r.code,
                "name": r.name,
                "scope": r.scope.value,
                "node": r.node,
                "fixable": r.fix_availability is not FixAvailability.NEVER,
                "fix_availability": r.fix_availability.value,
                "summary": r.summary,
                "category": r.category,
            }
            for r in registry.rules
        ],
        "broken_plugins": [{"name": b.name, "reason": b.reason} for b in registry.broken],
    }


def planned_model(p: Planned) -> Model:
    return {
        "code": p.rule.code,
        "name": p.rule.name,
        "message": p.diagnostic.message,
        "title": p.fix.title,
        "applicability": p.fix.applicability.value,
        "where": p.where,
        "changes": [c.describe(None) for c in p.fix.env],
        "edits": [_edit_model(e) for e in p.edits],
        "instructions": p.instructions,
        "alternatives": [
            {"index": i, "title": fix.title, "applicability": fix.applicability.value}
            for i, fix in enumerate(p.diagnostic.fixes)
            if fix is not p.fix
        ],
    }


def _edit_model(edit: Any) -> Model:
    from devdoctor.fixes.where import edit_target, filesystem

    target = edit_target(edit)
    model = {"kind": edit.kind, "describe": edit.describe(), "preview": edit.preview()}
    if target is not None:  # for a fleet rollout: a change on a shared file system runs once
        model |= {"target": str(target), "filesystem": filesystem(target)}
    return model


def applied_model(items: Sequence[Applied]) -> list[Model]:
    return [
        {**planned_model(a.planned), "outcome": a.outcome.value, "detail": a.detail, "run": a.run}
        for a in items
    ]


def exit_code(statuses: Sequence[str], strict: bool) -> int:
    if Status.ERROR.value in statuses:
        return 3
    failing = {Status.FAIL.value} | ({Status.WARN.value, Status.SKIP.value} if strict else set())
    return 1 if failing & set(statuses) else 0


def emit(model: Model, fmt: str, render_text: Callable[[Model], None]) -> None:
    """Scrub, then print as one JSON document or as text."""
    clean: Model = Redactor().data(model)
    if fmt == "json":
        sys.stdout.write(json.dumps(clean, indent=2) + "\n")
        sys.stdout.flush()
    elif fmt == "jsonl":  # one line: collected from srun's, clush's or kubectl's stdout
        sys.stdout.write(json.dumps(clean, separators=(",", ":")) + "\n")
        sys.stdout.flush()
    else:
        render_text(clean)
