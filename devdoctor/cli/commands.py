"""What each command does, as functions that return the exit code. No typer here."""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from devdoctor import paths
from devdoctor.cli import report
from devdoctor.cli.crash import log_crash
from devdoctor.core import config as config_mod
from devdoctor.core import engine, registry
from devdoctor.core.context import Context, default_context
from devdoctor.core.fix import Applicability
from devdoctor.core.rule import Rule
from devdoctor.errors import DevdoctorError, UsageError

if TYPE_CHECKING:
    from devdoctor.logs.findings import LogFinding

FORMATS = ("text", "json")


@dataclass
class Session:
    ctx: Context
    registry: registry.Registry
    rules: list[Rule]
    notes: list[str]


def open_session(
    chosen: Sequence[str],
    python: str | None,
    *,
    in_hook: bool = False,
    hook_files: Sequence[str] = (),
    fix_option_values: dict[str, Any] | None = None,
    offline: bool = False,
) -> Session:
    config = load_config()
    reg = registry.load(chosen)  # rules named on the command line: only those are imported
    rules = reg.select(chosen, config.select, config.ignore)
    notes = (
        []
        if chosen
        else [
            f"ignore entry {ref!r} matches no rule" for ref in reg.unmatched_ignores(config.ignore)
        ]
        + [
            f"settings table [rules.{name}] matches no rule"
            for name in config.rules
            if reg.find(name) is None
        ]
        + _ignored(reg, config)
    )
    ctx = default_context(
        config,
        python,
        in_hook=in_hook,
        hook_files=tuple(hook_files),
        fix_option_values=fix_option_values,
        offline=offline,
    )
    ctx.location  # noqa: B018 -- a bad --python is a usage error before anything runs
    return Session(ctx, reg, rules, notes)


def _ignored(reg: registry.Registry, config: config_mod.Config) -> list[str]:
    """Rules left out by `ignore`, with the reasons given: a quiet check says what it skipped."""
    said, count = [], 0
    for ref, reason in config.ignore.items():
        matched = reg.matching(ref)
        if not matched:
            continue
        count += len(matched)
        name = matched[0].code if len(matched) == 1 else f"{ref} ({len(matched)} rules)"
        said.append(name + (f" — {reason}" if reason else ""))
    return [f"{count} ignored: {'; '.join(said)}"] if said else []


def load_config() -> config_mod.Config:
    """The user's configuration for this folder (see README, Configuration)."""
    return config_mod.load(Path.cwd(), dict(os.environ), paths.user_config_file())


def check_format(fmt: str, formats: Sequence[str] = FORMATS) -> None:
    if fmt not in formats:
        raise UsageError(f"--format {fmt}: choose {', '.join(formats[:-1])} or {formats[-1]}")


def run_rules(session: Session, show_spinner: bool = True) -> list[engine.Result]:
    names = ", ".join(r.code for r in session.rules)
    show_spinner = show_spinner and sys.stderr.isatty()  # rich loads only to draw one
    if show_spinner:
        from devdoctor.cli.text import spinner
    with spinner(f"checking {names}") if show_spinner else contextlib.nullcontext() as status:
        doing: dict[str, str] = {}  # rule code -> what it said it is doing
        waited: list[Rule] = []

        def show() -> None:
            if status is not None and waited:
                rule = waited[-1]
                said = doing.get(rule.code)
                status.update(
                    f"{rule.code} {rule.name}: {said}"
                    if said
                    else (f"waiting for {rule.code} {rule.name}")
                )

        def wait(rule: Rule) -> None:
            waited.append(rule)
            show()

        def progress(text: str) -> None:  # called from the rule's thread, named rule-<code>
            doing[threading.current_thread().name.removeprefix("rule-")] = text
            show()

        session.ctx.progress = progress
        results = engine.run(session.rules, session.ctx, on_wait=wait)
    crashed = [r for r in results if r.traceback]
    if crashed:
        log = log_crash("".join(f"[{r.rule.code}]\n{r.traceback}" for r in crashed))
        session.notes.append(f"a rule crashed; the traceback is in {log}")
    return results


def target_model(ctx: Context, with_facts: bool) -> dict[str, Any]:
    model = ctx.location.as_dict()
    if with_facts:
        try:
            model.update(ctx.target().summary())
        except Exception as exc:  # the report still renders: say why facts are missing
            return {**model, "error": str(exc)}
    return model


def check(
    chosen: Sequence[str],
    python: str | None,
    fmt: str,
    verbose: bool,
    strict: bool,
    offline: bool = False,
    quiet: bool = False,
    node_name: str | None = None,
) -> int:
    check_format(fmt, (*FORMATS, "jsonl", "markdown"))
    from devdoctor.core import host

    if node_name is not None and not host.NODE_NAME.fullmatch(node_name):
        raise UsageError(f"--node-name {node_name!r}: letters, digits, '.', '_' and '-' only")
    session = open_session(chosen, python, offline=offline)
    want_facts = fmt in ("json", "jsonl", "markdown") or verbose
    facts_thread = threading.Thread(target=lambda: target_model(session.ctx, True), daemon=True)
    if want_facts:  # one child process, overlapped with the rules
        facts_thread.start()
    results = run_rules(session, show_spinner=fmt == "text")
    if want_facts:
        facts_thread.join()
    model = report.check_model(
        results,
        target_model(session.ctx, want_facts),
        session.registry.broken,
        session.notes,
        host.host_block(os.environ, node_name, session.ctx.config.system_root)
        if fmt in ("json", "jsonl")
        else None,
    )
    model["next"] = fix_hint(results, python, offline)
    from devdoctor.cli.text import render_check, render_markdown

    if fmt == "markdown":  # a paste-ready report for a bug tracker, like `hf env`, with verdicts
        report.emit(model, "text", render_markdown)
    else:
        report.emit(model, fmt, lambda m: render_check(m, verbose, quiet))
    return report.exit_code([r["status"] for r in model["results"]], strict)


def fix_hint(results: Sequence[engine.Result], python: str | None, offline: bool) -> str | None:
    """The exact command that previews the fixes found: the rules named, the same target."""
    import shlex

    codes = [r.rule.code for r in results if any(d.fixes for d in r.diagnostics)]
    if not codes:
        return None
    extra = (["--python", python] if python else []) + (["--offline"] if offline else [])
    return shlex.join(["devdoctor", "fix", *codes, *extra])


def list_rules(fmt: str) -> int:
    check_format(fmt)
    reg = registry.load()
    model = report.rules_model(reg)
    from devdoctor.cli.text import render_rules

    report.emit(model, fmt, render_rules)
    return 0


def explain(ref: str) -> int:
    from devdoctor.cli.text import render_page
    from devdoctor.core.docs import rule_page

    rule = registry.load([ref]).resolve([ref])[0]
    report.emit({"page": rule_page(rule)}, "text", render_page)
    return 0


def fix_command(finding: LogFinding) -> str | None:
    """The command that applies the fix for what a log showed."""
    import shlex

    fix, source = finding.fix, finding.match.source
    if fix is None:
        return None
    if fix.applicability is Applicability.DISPLAY_ONLY:
        return fix.instructions or None
    log = shlex.quote(source) if not source.startswith("<") else "<the log saved to a file>"
    python = finding.ctx.python  # named, or the environment that owns what the log names
    target = f" --python {shlex.quote(python)}" if python else ""
    return f"devdoctor fix {finding.match.rule.name} --from-log {log}{target}"


def diagnosis_model(findings: Sequence[LogFinding]) -> dict[str, Any]:
    return {
        "schema_version": report.SCHEMA_VERSION,
        "matches": [
            {
                "code": f.match.rule.code,
                "name": f.match.rule.name,
                "facts": f.facts,
                "source": f.match.source,
                "first_line": f.match.first_line,
                "where": f"{f.match.source}:{f.match.first_line}",
                "count": f.match.count,
                "message": f.match.message,
                "certainty": "certain" if f.match.certain else "possible",
                "to_tell": f.match.to_tell or None,
                "related": [{"code": r.code, "name": r.name} for r in f.match.related],
                "fix": report.fix_model(f.fix),
                "fix_command": fix_command(f),
                "environment": f.environment if f.fix else None,
            }
            for f in findings
        ],
    }


def diagnose(
    names: Sequence[str], fmt: str, python: str | None = None, strict: bool = False
) -> int:
    """Exit 1 when a problem is certain (with --strict, also when it is only possible)."""
    check_format(fmt)
    from devdoctor.logs.findings import log_findings

    reg = registry.load()
    warnings: list[str] = []
    findings = log_findings(names, reg.rules, default_context(load_config(), python), warnings)
    from devdoctor.cli.crash import scrubbed
    from devdoctor.cli.text import render_diagnose

    for warning in warnings:
        print(f"devdoctor: warning: {scrubbed(warning)}", file=sys.stderr)
    report.emit(diagnosis_model(findings), fmt, render_diagnose)
    return 1 if any(strict or f.match.certain for f in findings) else 0


def confirm(question: str, yes: bool) -> bool:
    if yes:
        return True
    if not sys.stdin.isatty():
        raise DevdoctorError(f"{question} needs a confirmation: run on a terminal or pass --yes")
    answer = input(f"{question} [y/N] ").strip().lower()
    return answer in ("y", "yes")
