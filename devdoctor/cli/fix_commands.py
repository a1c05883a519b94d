"""`devdoctor fix` (preview, apply, verify) and `devdoctor undo`."""

from __future__ import annotations

import os
import shlex
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from devdoctor.cli import report
from devdoctor.cli.commands import Session, confirm, open_session, run_rules
from devdoctor.core.fix import Applicability
from devdoctor.core.rule import Diagnostic, Status
from devdoctor.errors import DevdoctorError, UsageError
from devdoctor.fixes import apply as fixing
from devdoctor.fixes import journal
from devdoctor.fixes.journal import Journal

RESOLVED = {fixing.Outcome.FIXED, fixing.Outcome.NEW_SHELL}


@dataclass(frozen=True)
class Problems:
    planned: list[fixing.Planned]
    statuses: list[tuple[str, str]]  # (rule code, status) of what was found
    skipped: tuple[str, ...] = ()  # "DD301: why it could not be checked"


def _from_checks(session: Session, target: str, alternative: int) -> Problems:
    results = run_rules(session)
    planned = fixing.plan(results, session.ctx, target, alternative)
    skipped = tuple(
        f"{r.rule.code}: {d.message}"
        for r in results
        if r.status is Status.SKIP
        for d in r.diagnostics[:1]
    )
    return Problems(planned, [(r.rule.code, r.status.value) for r in results], skipped)


def _from_log(session: Session, target: str, logs: Sequence[str]) -> Problems:
    """The problems a log shows, with fixes for the files it names as found on this machine."""
    from devdoctor.logs.findings import log_findings

    planned, statuses = [], []
    for finding in log_findings(logs, session.rules, session.ctx):
        rule = finding.match.rule
        statuses.append((rule.code, Status.FAIL.value))
        if finding.fix is not None:
            diagnostic = Diagnostic(
                Status.FAIL, finding.match.message, finding.facts, (finding.fix,)
            )
            planned.append(fixing.plan_one(rule, diagnostic, finding.fix, finding.ctx, target))
    return Problems(planned, statuses)


def fix(
    chosen: Sequence[str],
    apply: bool,
    unsafe: bool,
    yes: bool,
    target: str,
    python: str | None,
    alternative: int = 0,
    from_log: Sequence[str] = (),
    fix_option_values: dict[str, Any] | None = None,
    keep_unverified: bool = False,
    offline: bool = False,
    show_diff: bool = False,
    fmt: str = "text",
    fleet_run: str | None = None,
    node_name: str | None = None,
) -> int:
    from devdoctor import paths
    from devdoctor.cli.commands import check_format
    from devdoctor.fixes import persist

    check_format(fmt, ("text", "json", "jsonl"))
    node = _node(node_name)
    if fleet_run is not None and (not apply or not journal.RUN_ID.fullmatch(fleet_run)):
        raise UsageError("--fleet-run ID: with --apply, an id as `fleet fix apply` makes them")
    session = open_session(chosen, python, fix_option_values=fix_option_values, offline=offline)
    persist.resolve_kind(target, session.ctx.location)  # a bad --target is a usage error now
    named = {r.code for r in session.rules} if chosen else set()

    def problems() -> Problems:
        if from_log:
            return _from_log(session, target, from_log)
        return _from_checks(session, target, alternative)

    if not apply:
        return _preview(problems(), unsafe, named, show_diff, fmt, node)
    with journal.locked(paths.state_dir()):  # a second `fix --apply` waits, then re-checks
        return _apply(
            session, problems(), target, unsafe, yes, named, keep_unverified, fmt, fleet_run, node
        )


def _node(given: str | None) -> str:
    """This machine's name for fleet output and journal tags (see `check --node-name`)."""
    from devdoctor.core import host

    if given is not None and not host.NODE_NAME.fullmatch(given):
        raise UsageError(f"--node-name {given!r}: letters, digits, '.', '_' and '-' only")
    return host.node_name(os.environ, given)[0]


def _emit(model: dict[str, Any], fmt: str, render: Any, node: str | None = None) -> None:
    """Text for people; JSON (with the host block) for `fleet fix`, which collects it per node."""
    if fmt == "text":
        report.emit(model, "text", render)
        return
    from devdoctor.core import host

    block = host.host_block(os.environ, node)
    model = {"schema_version": report.SCHEMA_VERSION, "host": block, **model}
    report.emit(model, fmt, render)


def _not_checked(found: Problems, named: set[str]) -> list[str]:
    return [
        f"could not check {reason}" for reason in found.skipped if reason.split(":", 1)[0] in named
    ]


def _preview(
    found: Problems,
    unsafe: bool,
    named: set[str],
    show_diff: bool = False,
    fmt: str = "text",
    node: str | None = None,
) -> int:
    from devdoctor.cli.text import render_plan

    planned = found.planned
    applicable = [p for p in planned if fixing.wanted(p, unsafe, named)]
    unsafe_left = [
        p for p in planned if p.fix.applicability is Applicability.UNSAFE and p not in applicable
    ]
    footer = ["", "Dry run: nothing was written.", *_not_checked(found, named)]
    if not planned:
        footer = [_why_nothing(found), *_not_checked(found, named)]
    elif not applicable and not unsafe_left:
        footer.append("Nothing devdoctor can apply: the fixes above are yours to run.")
    if applicable:
        footer.append(f"`{again('--apply')}` applies {_count(len(applicable), 'fix')}.")
    if unsafe_left:
        footer.append(
            f"{_count(len(unsafe_left), 'unsafe fix')} rewrite(s) you may not get back without "
            f"devdoctor undo: `{again('--apply', '--unsafe-fixes')}` applies them after a "
            "confirmation."
        )
    if not show_diff and any(e.kind == "file" for p in planned for e in p.edits):
        footer.append(f"`{again('--diff')}` shows every file change line by line.")
    model = {
        "kind": "fix-plan",
        "fixes": [report.planned_model(p) for p in planned],
        "footer": footer,
        "show_diff": show_diff,
        "statuses": dict(found.statuses),
    }
    _emit(model, fmt, render_plan, node)
    return report.exit_code([status for _, status in found.statuses], strict=False)


def again(*extra: str, drop: tuple[str, ...] = ()) -> str:
    """This very command with more (or fewer) flags, shell-quoted: every option the user gave
    is kept (--python, --target, rule names, -m ...), so the hint does what it says."""
    args = [a for a in sys.argv[1:] if a not in extra and a not in drop]
    return shlex.join(["devdoctor", *args, *extra])


def _count(n: int, what: str) -> str:
    plural = "es" if what.endswith("fix") else "s"
    return f"{n} {what}{'' if n == 1 else plural}"


def _why_nothing(found: Problems) -> str:
    """'Nothing to fix' never stands alone: what was found, and what to try next."""
    failing = sorted({code for code, status in found.statuses if status in ("fail", "warn")})
    if failing:
        return (
            f"Nothing devdoctor can apply: {', '.join(failing)} found problems whose fixes you "
            f"run yourself (`devdoctor check {' '.join(failing)}` shows them)."
        )
    if found.skipped:
        return "Nothing to fix among the rules that could be checked."
    return "Nothing to fix: every rule passes."


def _apply(
    session: Session,
    found: Problems,
    target: str,
    unsafe: bool,
    yes: bool,
    named: set[str],
    keep_unverified: bool,
    fmt: str = "text",
    fleet_run: str | None = None,
    node: str = "",
) -> int:
    from devdoctor import paths
    from devdoctor.cli.text import render_applied

    ctx = session.ctx
    planned = found.planned
    chosen = [p for p in planned if fixing.wanted(p, unsafe, named)]
    risky = [p for p in chosen if p.fix.applicability is Applicability.UNSAFE]
    declined = 0
    if risky:
        titles = "; ".join(p.label for p in risky)
        if not confirm(f"Apply unsafe fix(es): {titles}?", yes):
            chosen = [p for p in chosen if p not in risky]
            declined = len(risky)
    watched = _watch(session, chosen)  # rules a fix here could make fail elsewhere
    applied = fixing.apply(
        chosen,
        ctx,
        Journal(paths.state_dir()),
        lambda p: fixing.plan_one(p.rule, p.diagnostic, p.fix, p.ctx, target),
        keep_unverified,
        (fleet_run, node) if fleet_run else ("", ""),
    )
    skipped = len(planned) - len(chosen) - declined
    footer = _not_checked(found, named)
    if not planned:
        footer.insert(0, _why_nothing(found))
    if declined:
        footer.append(f"You declined {_count(declined, 'unsafe fix')}; nothing of it was written.")
    if skipped:
        footer.append(
            f"{_count(skipped, 'fix')} not applied (unsafe or display-only): "
            f"`{again(drop=('--apply',))}` shows them."
        )
    if any(a.outcome in RESOLVED for a in applied):
        footer.append("`devdoctor undo` reverts this run.")
        footer += _newly_failing(session, watched)
    _emit(
        {"kind": "fix", "applied": report.applied_model(applied), "footer": footer},
        fmt,
        render_applied,
        node,
    )
    if any(status == "error" for _, status in found.statuses):
        return 3
    resolved = {a.planned.rule.code for a in applied if a.outcome in RESOLVED}
    unresolved = any(a.outcome not in RESOLVED for a in applied)
    still_failing = any(s == "fail" and code not in resolved for code, s in found.statuses)
    if _not_checked(found, named):  # asked to fix X, and X could not even be checked
        return 1
    return 1 if unresolved or still_failing else 0


def undo(
    list_only: bool,
    yes: bool,
    run_id: str | None = None,
    fleet_run: str | None = None,
    node_name: str | None = None,
) -> int:
    from devdoctor import paths
    from devdoctor.cli.text import render_lines

    book = Journal(paths.state_dir())
    if list_only:
        lines = []
        for r in book.runs():
            stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r.created))
            lines.append(f"{r.id}  {stamp}  {r.status:<8} {'; '.join(r.fixes)}")
            lines += [f"    {edit.describe()}" for edit in r.edits]
        report.emit({"lines": lines or ["The journal is empty."]}, "text", render_lines)
        return 0
    if fleet_run is not None:
        return _undo_fleet(book, fleet_run, yes, _node(node_name))
    with journal.locked(paths.state_dir()):
        book.sweep()
        run = _chosen_run(book, run_id)
        if run is None:
            report.emit({"lines": ["Nothing to undo."]}, "text", render_lines)
            return 0
        to_apply, changed = journal.undo_edits(run)
        if changed:
            lines = [f"Refusing to undo {run.id}: files changed since devdoctor wrote them:"]
            lines += [diff for _, diff in changed]
            report.emit({"lines": lines}, "text", render_lines)
            return 1
        lines = [f"Undo {run.id}: {'; '.join(run.fixes)}", *_where(run)]
        lines += [f"  {edit.describe()}" for edit in to_apply]
        report.emit({"lines": lines}, "text", render_lines)
        if not confirm("Undo this run?", yes):
            raise DevdoctorError("undo cancelled; nothing changed")
        journal.apply_all(to_apply)
        book.mark(run, "undone")
    report.emit({"lines": [f"Undone: {len(to_apply)} change(s) reverted."]}, "text", render_lines)
    return 0


def _undo_fleet(book: Journal, fleet_run: str, yes: bool, node: str) -> int:
    """This node's runs of one fleet rollout, newest first (a shared home's journal holds every
    node's runs: only ours are touched). JSON lines: `fleet undo` collects them per node."""
    from devdoctor import paths

    if not journal.RUN_ID.fullmatch(fleet_run):
        raise UsageError(f"--fleet-run {fleet_run!r} is not a fleet run id")
    if not yes:
        raise UsageError("--fleet-run undoes without asking: add --yes")
    outcome: dict[str, Any] = {"kind": "undo", "fleet": fleet_run, "undone": [], "refused": []}
    with journal.locked(paths.state_dir()):
        for run in book.runs():
            if run.fleet != fleet_run or run.node != node or run.status == "undone":
                continue
            to_apply, changed = journal.undo_edits(run)
            if changed:
                outcome["refused"].append({"run": run.id, "changed": [d for _, d in changed]})
                continue
            journal.apply_all(to_apply)
            book.mark(run, "undone")
            outcome["undone"].append({"run": run.id, "fixes": list(run.fixes)})
    _emit(outcome, "jsonl", None, node)
    return 1 if outcome["refused"] else 0


def _chosen_run(book: Journal, run_id: str | None) -> journal.Run | None:
    if run_id is None:
        return book.last_undoable()
    run = next((r for r in book.runs() if r.id == run_id), None)
    if run is None:
        raise UsageError(f"no run {run_id!r} in the journal (see `devdoctor undo --list`)")
    if run.status == "undone":
        raise UsageError(f"run {run_id} is already undone")
    return run


def _where(run: journal.Run) -> list[str]:
    """What the run touched, by place: the folders of its files, the repositories of its refs."""
    places = set()
    for edit in run.edits:
        if getattr(edit, "repo", None):
            places.add(f"repository {edit.repo}")  # type: ignore[attr-defined]
        elif getattr(edit, "path", None):
            places.add(str(edit.path.parent))  # type: ignore[attr-defined]
        elif getattr(edit, "python", None):
            places.add(f"the environment of {edit.python}")  # type: ignore[attr-defined]
    return [f"  in {place}" for place in sorted(places)]


def _watch(session: Session, chosen: Sequence[fixing.Planned]) -> dict[str, str]:
    """The offline rules' statuses before anything is written (the fixed rules aside)."""
    from devdoctor.core import engine, registry

    if not chosen:
        return {}
    fixed = {p.rule.code for p in chosen}
    others = [r for r in registry.load().rules if not r.network and r.code not in fixed]
    ctx = session.ctx.with_env(session.ctx.env)
    return {r.rule.code: r.status.value for r in engine.run(others, ctx)}


def _newly_failing(session: Session, before: dict[str, str]) -> list[str]:
    """A fix can make another rule relevant (a mirror persisted: an old huggingface_hub now
    matters): say so, with the command that shows it."""
    from devdoctor.core import engine, registry

    rules = [r for r in registry.load().rules if r.code in before]
    after = engine.run(rules, session.ctx.with_env(session.ctx.env))
    return [
        f"{r.rule.code} {r.rule.name} now {r.status.value}s: {r.diagnostics[0].message} "
        f"(`devdoctor check {r.rule.code}`)"
        for r in after
        if before.get(r.rule.code) in ("pass", "skip") and r.status.value in ("fail", "warn")
    ]
