"""From check results to fixes: plan (preview), apply (journaled), verify (the check again)."""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from devdoctor.core import engine
from devdoctor.core.context import Context
from devdoctor.core.fix import Applicability, Conflict, Edit, EditFailed, Fix
from devdoctor.core.rule import Diagnostic, Rule, Status
from devdoctor.errors import UsageError
from devdoctor.fixes import persist
from devdoctor.fixes.journal import Journal, Run, apply_all


@dataclass(frozen=True)
class Planned:
    rule: Rule
    diagnostic: Diagnostic
    fix: Fix
    edits: tuple[Edit, ...]  # the fix's own edits plus the env changes made concrete
    where: str  # where env changes go ("" when there are none)
    instructions: str
    ctx: Context  # the environment it was planned for (a log's may differ from the active one)

    @property
    def label(self) -> str:
        return f"{self.rule.code} {self.fix.title}"


class Outcome(enum.Enum):
    FIXED = "fixed"
    NEW_SHELL = "takes effect in a new shell/process"
    NOT_FIXED = "not fixed"
    FAILED = "failed, nothing changed"
    NOT_APPLIED = "not applied"
    PUBLISH_FAILED = "applied here, publishing failed (`devdoctor undo` reverts it)"
    ROLLED_BACK = "not fixed, rolled back"


@dataclass(frozen=True)
class Applied:
    planned: Planned
    outcome: Outcome
    detail: str = ""
    effective: tuple[Edit, ...] = ()  # what was really written, for a rollback
    run: str = ""  # the journal run that holds it (for `undo RUN`)


def plan_one(rule: Rule, diagnostic: Diagnostic, fix: Fix, ctx: Context, target: str) -> Planned:
    edits: tuple[Edit, ...] = fix.edits
    where, instructions = "", fix.instructions
    if fix.env:
        try:
            persisted = persist.plan(fix.env, target, ctx.location, ctx.env)
        except persist.PersistError as exc:  # shown and not applied; other fixes go on
            return Planned(rule, diagnostic, fix, (), "", f"cannot persist: {exc}", ctx)
        edits += persisted.edits
        where = persisted.where
        instructions = "\n".join(filter(None, [instructions, persisted.instructions]))
    return Planned(rule, diagnostic, fix, edits, where, instructions, ctx)


def plan(
    results: Sequence[engine.Result], ctx: Context, target: str, alternative: int = 0
) -> list[Planned]:
    """One fix per problem: the rule's first choice, or alternative N. Asking for an alternative
    that no problem offers is a usage error: silently applying the default would surprise."""
    planned = []
    for result in results:
        for diagnostic in result.diagnostics:
            if diagnostic.fixes and diagnostic.status in (Status.WARN, Status.FAIL):
                if alternative >= len(diagnostic.fixes):
                    offered = len(diagnostic.fixes) - 1
                    raise UsageError(
                        f"--alternative {alternative}: {result.rule.code} offers "
                        + (f"alternatives 1 to {offered}" if offered else "no alternative")
                        + f" for {diagnostic.message!r}"
                    )
                fix = diagnostic.fixes[alternative]
                planned.append(plan_one(result.rule, diagnostic, fix, ctx, target))
    return planned


def wanted(p: Planned, unsafe: bool, named: set[str]) -> bool:
    if p.fix.applicability is Applicability.SAFE:
        return True
    if p.fix.applicability is Applicability.UNSAFE:
        return unsafe or p.rule.code in named
    return False


def apply(
    chosen: Sequence[Planned],
    ctx: Context,
    journal: Journal,
    replan: Callable[[Planned], Planned],
    keep_unverified: bool = False,
    fleet: tuple[str, str] = ("", ""),
) -> list[Applied]:
    """Apply each fix all-or-nothing, journaled before the first write, then verify each; a
    fix whose own proof fails is rolled back unless asked to keep it. `fleet` (rollout id,
    node) tags the journal run for `undo --fleet-run`."""
    journal.sweep()
    run = journal.begin([], [], ctx.clock(), fleet)
    done: list[Applied] = []
    for original in chosen:
        planned = replan(original)  # env edits against the files as they are now
        if not planned.edits:
            if planned.where:  # already persisted there by an earlier run: verify it
                done.append(Applied(planned, Outcome.FIXED))
            else:  # --target print, or a fix with nothing to write
                done.append(Applied(planned, Outcome.NOT_APPLIED, planned.instructions))
            continue
        journal.save(
            replace(run, fixes=(*run.fixes, planned.label), edits=(*run.edits, *planned.edits))
        )
        try:
            effective = apply_all(planned.edits)
        except (Conflict, EditFailed, OSError) as exc:
            journal.save(run)  # this fix wrote nothing: drop it from the journal
            done.append(Applied(planned, Outcome.FAILED, str(exc)))
            continue
        run = journal.save(
            replace(run, fixes=(*run.fixes, planned.label), edits=(*run.edits, *effective))
        )
        problem = planned.fix.publish() if planned.fix.publish else None
        outcome = Outcome.PUBLISH_FAILED if problem else Outcome.FIXED
        said = problem or (planned.fix.published if planned.fix.publish else "")
        done.append(Applied(planned, outcome, said, tuple(effective)))
    done = verify(done, ctx)
    if not keep_unverified:
        done, run = _roll_back_unproven(done, journal, run)
    if run.edits:
        journal.mark(run, "applied")
        kept = set(map(id, run.edits))
        return [
            replace(a, run=run.id) if a.effective and all(id(e) in kept for e in a.effective) else a
            for a in done
        ]
    journal.dir.joinpath(f"{run.id}.json").unlink(missing_ok=True)
    return done


def _roll_back_unproven(
    done: list[Applied], journal: Journal, run: Run
) -> tuple[list[Applied], Run]:
    """Put back what a fix wrote when its proof in a new process failed: a preload that ld.so
    cannot load would make every process in the environment print errors. Fixes that published
    (a push) are never rolled back here; undo says how."""
    kept = []
    for item in done:
        fix = item.planned.fix
        if item.outcome is not Outcome.NOT_FIXED or not fix.verify or fix.publish:
            kept.append(item)
            continue
        try:
            apply_all([edit.inverse() for edit in reversed(item.effective)])
        except (Conflict, EditFailed, OSError) as exc:
            kept.append(replace(item, detail=f"{item.detail}; rolling back failed: {exc}"))
            continue
        run = journal.save(
            replace(
                run,
                fixes=tuple(f for f in run.fixes if f != item.planned.label),
                edits=tuple(e for e in run.edits if e not in item.effective),
            )
        )
        detail = f"{item.detail} (--keep-unverified keeps such a fix)"
        kept.append(replace(item, outcome=Outcome.ROLLED_BACK, detail=detail))
    return kept, run


def _still_there(rule: Rule, diagnostic: Diagnostic, ctx: Context) -> Diagnostic | None:
    result = engine.run([rule], ctx)[0]
    if result.status is Status.ERROR:
        return result.diagnostics[0]
    return next(
        (
            d
            for d in result.diagnostics
            if d.identity == diagnostic.identity and d.status in (Status.WARN, Status.FAIL)
        ),
        None,
    )


def verify(done: Sequence[Applied], ctx: Context) -> list[Applied]:
    """Run each fixed rule's check again; env changes are checked as a new shell would see them."""
    verified = []
    for item in done:
        if item.outcome is not Outcome.FIXED:
            verified.append(item)
            continue
        p = item.planned
        new_env = dict(ctx.env)
        for change in p.fix.env:
            change.applied_to(new_env)
        if p.fix.verify is not None:  # the fix's own proof, in a new process
            problem = p.fix.verify(new_env)
            outcome, detail = (
                (Outcome.NOT_FIXED, problem)
                if problem
                else (Outcome.FIXED, "verified in a new process")
            )
            verified.append(replace(item, outcome=outcome, detail=detail))
            continue
        fresh = ctx.with_env(ctx.env)
        left = _still_there(p.rule, p.diagnostic, fresh)
        if left is None:
            verified.append(item)
        elif p.fix.env and _still_there(p.rule, p.diagnostic, ctx.with_env(new_env)) is None:
            verified.append(replace(item, outcome=Outcome.NEW_SHELL, detail=p.instructions))
        else:
            verified.append(replace(item, outcome=Outcome.NOT_FIXED, detail=left.message))
    return verified
