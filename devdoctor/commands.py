"""What each command does, as functions that return the exit code. No typer here."""

from __future__ import annotations

import contextlib
import os
import shlex
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from devdoctor import config as config_mod
from devdoctor import engine, paths, registry, report
from devdoctor.context import Context, default_context
from devdoctor.errors import DevdoctorError, UsageError
from devdoctor.fix import Applicability, Fix
from devdoctor.redact import Redactor
from devdoctor.rule import Rule

FORMATS = ("text", "json")


@dataclass
class Session:
    ctx: Context
    registry: registry.Registry
    rules: list[Rule]
    notes: list[str]


def open_session(
    chosen: Sequence[str], python: str | None, options: dict[str, Any] | None = None
) -> Session:
    config = config_mod.load(Path.cwd(), dict(os.environ), paths.user_config_file())
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
    )
    ctx = default_context(config, python, options)
    ctx.location  # noqa: B018 -- a bad --python is a usage error before anything runs
    return Session(ctx, reg, rules, notes)


def check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise UsageError(f"--format {fmt}: choose text or json")


def log_crash(text: str) -> Path:
    """Tracebacks go to the log file (scrubbed), never to the screen."""
    entry = f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} devdoctor {' '.join(sys.argv[1:])}\n"
    entry += Redactor().text(text)
    for log in (paths.log_file(), Path(tempfile.gettempdir()) / "devdoctor-crash.log"):
        try:
            log.parent.mkdir(parents=True, exist_ok=True)
            with log.open("a", encoding="utf-8") as f:
                f.write(entry)
            return log
        except OSError:
            continue  # the state dir itself may be what is broken
    return log


def run_rules(session: Session, show_spinner: bool = True) -> list[engine.Result]:
    from devdoctor.text import spinner

    names = ", ".join(r.code for r in session.rules)
    with spinner(f"checking {names}") if show_spinner else contextlib.nullcontext() as status:

        def done(rule: Rule) -> None:
            if status is not None:
                status.update(f"checked {rule.code}")

        results = engine.run(session.rules, session.ctx, on_done=done)
    crashed = [r for r in results if r.traceback]
    if crashed:
        log = log_crash("".join(f"[{r.rule.code}]\n{r.traceback}" for r in crashed))
        session.notes.append(f"a rule crashed; the traceback is in {log}")
    return results


def target_model(ctx: Context, with_facts: bool) -> dict[str, Any]:
    model = ctx.location.as_dict()
    if with_facts:
        try:
            facts = ctx.target()
        except Exception as exc:  # the report still renders: say why facts are missing
            return {**model, "error": str(exc)}
        keep = (
            "version",
            "implementation",
            "platform",
            "machine",
            "glibc",
            "prefix",
            "site_packages",
            "is_venv",
            "is_conda",
        )
        model.update({k: facts.get(k) for k in keep})
        model["distributions"] = len(facts.get("distributions", []))
    return model


def check(chosen: Sequence[str], python: str | None, fmt: str, verbose: bool, strict: bool) -> int:
    check_format(fmt)
    session = open_session(chosen, python)
    want_facts = fmt == "json" or verbose
    facts_thread = threading.Thread(target=lambda: target_model(session.ctx, True), daemon=True)
    if want_facts:  # one child process, overlapped with the rules
        facts_thread.start()
    results = run_rules(session, show_spinner=fmt == "text")
    if want_facts:
        facts_thread.join()
    model = report.check_model(
        results, target_model(session.ctx, want_facts), session.registry.broken, session.notes
    )
    from devdoctor.text import render_check

    report.emit(model, fmt, lambda m: render_check(m, verbose))
    return report.exit_code([r["status"] for r in model["results"]], strict)


def list_rules(fmt: str) -> int:
    check_format(fmt)
    reg = registry.load()
    model = report.rules_model(reg)
    from devdoctor.text import render_rules

    report.emit(model, fmt, render_rules)
    return 0


def explain(ref: str) -> int:
    rule = registry.load([ref]).resolve([ref])[0]
    header = f"{rule.code} {rule.name} ({rule.scope.value}{', fixable' if rule.fixable else ''})"
    from devdoctor.text import render_lines

    report.emit({"lines": [header, "", rule.doc or rule.summary]}, "text", render_lines)
    return 0


def open_inputs(names: Sequence[str]) -> list[tuple[str, IO[bytes]]]:
    opened: list[tuple[str, IO[bytes]]] = []
    for name in names or ["-"]:
        if name == "-":
            opened.append(("<stdin>", sys.stdin.buffer))
            continue
        try:
            opened.append((name, open(name, "rb")))  # noqa: SIM115 -- closed by the caller
        except OSError as exc:
            raise UsageError(f"{name}: cannot read: {exc.strerror}") from None
    return opened


@dataclass(frozen=True)
class LogFinding:
    match: Any  # diagnose.Match
    facts: dict[str, Any]  # enriched: about this machine, not only what the log said
    fix: Fix | None


def log_findings(names: Sequence[str], rules: Sequence[Rule], ctx: Context) -> list[LogFinding]:
    """Known problems in the logs, each with facts about this machine and the fix for them."""
    inputs = open_inputs(names)
    try:
        return findings_in(inputs, rules, ctx)
    finally:
        for _, f in inputs:
            if f is not sys.stdin.buffer:
                f.close()


def findings_in(
    inputs: Sequence[tuple[str, IO[bytes]]], rules: Sequence[Rule], ctx: Context
) -> list[LogFinding]:
    from devdoctor import diagnose as diag

    found = []
    for m in diag.scan(inputs, rules):
        facts: dict[str, Any] = dict(m.facts)
        if m.rule.enrich is not None:
            facts = m.rule.enrich(ctx, m.facts)
        fix = m.rule.fix_from_log(ctx, facts) if m.rule.fix_from_log else None
        found.append(LogFinding(m, facts, fix))
    return found


def fix_command(finding: LogFinding) -> str | None:
    """The command that applies the fix for what a log showed."""
    fix, source = finding.fix, finding.match.source
    if fix is None:
        return None
    if fix.applicability is Applicability.DISPLAY_ONLY:
        return fix.instructions or None
    log = shlex.quote(source) if not source.startswith("<") else "<the log saved to a file>"
    return f"devdoctor fix {finding.match.rule.name} --from-log {log}"


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
                "fix": report.fix_model(f.fix),
                "fix_command": fix_command(f),
            }
            for f in findings
        ],
    }


def diagnose(names: Sequence[str], fmt: str) -> int:
    check_format(fmt)
    reg = registry.load()
    findings = log_findings(names, reg.rules, default_context(config_mod.Config()))
    from devdoctor.text import render_diagnose

    report.emit(diagnosis_model(findings), fmt, render_diagnose)
    return 1 if findings else 0


def confirm(question: str, yes: bool) -> bool:
    if yes:
        return True
    if not sys.stdin.isatty():
        raise DevdoctorError(f"{question} needs a confirmation: run on a terminal or pass --yes")
    answer = input(f"{question} [y/N] ").strip().lower()
    return answer in ("y", "yes")
