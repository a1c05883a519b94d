"""From what a log shows to what it means here: each match's facts about this machine and the
fix for them (the rule's `enrich` and `fix_from_log`, given the rule's settings)."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Any

from devdoctor.core.context import Context
from devdoctor.core.engine import settings_for
from devdoctor.core.fix import Fix
from devdoctor.core.rule import Rule
from devdoctor.core.target import owner_python
from devdoctor.errors import UsageError
from devdoctor.logs.scanner import Match, scan


@dataclass(frozen=True)
class LogFinding:
    match: Match
    facts: dict[str, Any]  # enriched: about this machine, not only what the log said
    fix: Fix | None
    ctx: Context  # the environment the fix is for: the one that owns what the log names

    @property
    def environment(self) -> str | None:
        prefix = self.ctx.location.prefix
        return str(prefix) if prefix else self.ctx.location.python


def open_inputs(names: Sequence[str], warnings: list[str]) -> list[tuple[str, IO[bytes]]]:
    """The inputs that can be read; the others are warnings. None readable: a usage error."""
    opened: list[tuple[str, IO[bytes]]] = []
    for name in names or ["-"]:
        if name == "-":
            opened.append(("<stdin>", sys.stdin.buffer))
            continue
        try:
            opened.append((name, open(name, "rb")))  # noqa: SIM115 -- closed by the caller
        except OSError as exc:
            warnings.append(f"{name}: cannot read: {exc.strerror or exc}")
    if not opened:
        raise UsageError("; ".join(warnings))
    return opened


def findings_in(
    inputs: Sequence[tuple[str, IO[bytes]]],
    rules: Sequence[Rule],
    ctx: Context,
    warnings: list[str] | None = None,
) -> list[LogFinding]:
    found = []
    for m in scan(inputs, rules, warnings):
        facts: dict[str, Any] = dict(m.facts)
        if m.rule.enrich is not None:
            facts = m.rule.enrich(ctx, m.facts)
        own = owning_context(ctx, facts)
        fix = None  # a problem only possible gets what to check, not a fix
        if m.rule.fix_from_log is not None and m.certain:
            fix = m.rule.fix_from_log(own, facts, settings_for(m.rule, own))
        found.append(LogFinding(m, facts, fix, own))
    return found


def owning_context(ctx: Context, facts: dict[str, Any]) -> Context:
    """A log names a file inside some environment (a library in its site-packages): the fix is
    for that environment, not for whichever one happens to be active, unless --python says."""
    if ctx.python is not None:
        return ctx
    for value in facts.values():
        owner = owner_python(value) if isinstance(value, str) and value.startswith("/") else None
        # Compared by prefix: venvs' interpreters are links to the same base python.
        active = os.path.abspath(ctx.location.python or "")
        if owner and os.path.dirname(os.path.dirname(owner)) != os.path.dirname(
            os.path.dirname(active)
        ):
            return ctx.with_python(owner)
    return ctx


def log_findings(
    names: Sequence[str], rules: Sequence[Rule], ctx: Context, warnings: list[str] | None = None
) -> list[LogFinding]:
    """Known problems in the named logs (- is stdin); what could not be read goes to
    `warnings` (printed by the caller: one bad input never hides the others)."""
    problems = [] if warnings is None else warnings
    inputs = open_inputs(names, problems)
    try:
        return findings_in(inputs, rules, ctx, problems)
    finally:
        for _, f in inputs:
            if f is not sys.stdin.buffer:
                f.close()
