"""Run rules concurrently, each with a time limit; a crash or a hang is contained per rule."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from devdoctor.core.config import build_settings
from devdoctor.core.context import Context
from devdoctor.core.fix import FixAvailability
from devdoctor.core.rule import Diagnostic, Rule, Status


@dataclass(frozen=True)
class Result:
    rule: Rule
    status: Status
    diagnostics: tuple[Diagnostic, ...]
    duration_ms: int
    traceback: str = ""  # for crashes: goes to the log file, not the screen


@dataclass
class _Slot:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    error: BaseException | None = None
    traceback: str = ""
    done: threading.Event = field(default_factory=threading.Event)
    seconds: float = 0.0


def settings_for(rule: Rule, ctx: Context) -> Any:
    if rule.settings is None:
        return None
    where = f"settings for {rule.name}"
    values = ctx.config.rules.get(rule.name, ctx.config.rules.get(rule.code, {}))
    return build_settings(rule.settings, values, where)


def status_of(diagnostics: Iterable[Diagnostic]) -> Status:
    return max((d.status for d in diagnostics), key=lambda s: s.rank, default=Status.PASS)


def _run_one(rule: Rule, ctx: Context, settings: Any, slot: _Slot) -> None:
    start = time.perf_counter()
    try:
        slot.diagnostics = list(rule.check(ctx, settings))
    except BaseException as exc:  # contained: one rule's crash never stops the others
        slot.error = exc
        import traceback

        slot.traceback = traceback.format_exc()
    finally:
        slot.seconds = time.perf_counter() - start
        slot.done.set()


def run(
    rules: Iterable[Rule],
    ctx: Context,
    timeout: float | None = None,
    on_done: Callable[[Rule], None] | None = None,
    over_budget: Status = Status.ERROR,
    on_wait: Callable[[Rule], None] | None = None,
) -> list[Result]:
    """Run every rule in its own daemon thread; a rule still running at its limit is abandoned."""
    limit = ctx.config.timeout if timeout is None else timeout
    rules = list(rules)
    all_settings = [settings_for(rule, ctx) for rule in rules]  # config errors: before any runs
    started: list[tuple[Rule, _Slot, float]] = []
    for rule, settings in zip(rules, all_settings, strict=True):
        slot = _Slot()
        if rule.network and ctx.offline:
            slot.diagnostics = [Diagnostic(Status.SKIP, "--offline: no network probe")]
            slot.done.set()
            started.append((rule, slot, time.perf_counter()))
            continue
        thread = threading.Thread(
            target=_run_one, args=(rule, ctx, settings, slot), name=f"rule-{rule.code}", daemon=True
        )
        started.append((rule, slot, time.perf_counter()))
        thread.start()
    results = []
    for rule, slot, t0 in started:
        if on_wait and not slot.done.is_set():
            on_wait(rule)  # what the user is waiting for, named
        finished = slot.done.wait(max(0.0, t0 + limit - time.perf_counter()))
        if on_done:
            on_done(rule)
        results.append(_result(rule, slot, finished, limit, over_budget))
    return results


def _result(
    rule: Rule, slot: _Slot, finished: bool, limit: float, over_budget: Status = Status.ERROR
) -> Result:
    if not finished:  # a hook's budget: skipped with a note, not a failure
        message = (
            f"timed out after {limit:g} s (raise `timeout` in config if this is expected)"
            if over_budget is Status.ERROR
            else f"over the {limit:g} s time budget: skipped (raise `hook_timeout` in config)"
        )
        return Result(rule, over_budget, (Diagnostic(over_budget, message),), int(limit * 1000))
    duration = int(slot.seconds * 1000)
    if slot.error is not None:
        message = f"rule crashed: {type(slot.error).__name__}: {slot.error}"
        return Result(
            rule, Status.ERROR, (Diagnostic(Status.ERROR, message),), duration, slot.traceback
        )
    diagnostics = tuple(slot.diagnostics)
    broken = undeclared_fix(rule, diagnostics)
    if broken:
        return Result(rule, Status.ERROR, (Diagnostic(Status.ERROR, broken),), duration)
    return Result(rule, status_of(diagnostics), diagnostics, duration)


def undeclared_fix(rule: Rule, diagnostics: Iterable[Diagnostic]) -> str | None:
    """A rule's declared fix availability is a promise `devdoctor rules` shows: breaking it is
    the rule's bug, reported like a crash."""
    problems = [d for d in diagnostics if d.status in (Status.WARN, Status.FAIL)]
    fixable = [d for d in problems if any(f.applicable for f in d.fixes)]
    if rule.fix_availability is FixAvailability.NEVER and fixable:
        return "rule bug: it offers a fix devdoctor applies but declares fix_availability NEVER"
    if rule.fix_availability is FixAvailability.ALWAYS and len(fixable) < len(problems):
        return "rule bug: a finding has no fix devdoctor applies, yet it declares ALWAYS"
    return None
