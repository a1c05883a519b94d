"""`devdoctor run -- CMD`: run the command live; when it fails, diagnose the tail of its output
on stderr and save it for `devdoctor fix --from-log`. Reached without typer (see entry.py)."""

from __future__ import annotations

import io
import sys
from collections.abc import Sequence


def main(argv: Sequence[str]) -> int:
    """The whole command, with the same error contract as every other (crash.guarded)."""
    from devdoctor.cli.crash import guarded

    return guarded(lambda: run(argv))


def run(argv: Sequence[str]) -> int:
    from devdoctor.logs.run import execute

    exit_code, tail = execute(argv)
    if exit_code != 0:
        diagnose(argv, tail, exit_code)
    return exit_code


def diagnose(argv: Sequence[str], output: bytes, exit_code: int) -> None:
    """Known problems in the output's tail, on stderr; the tail is saved for `fix --from-log`."""
    import shlex

    from devdoctor import paths
    from devdoctor.cli.commands import diagnosis_model, load_config
    from devdoctor.cli.text import render_diagnose
    from devdoctor.core import registry
    from devdoctor.core.context import default_context
    from devdoctor.logs.findings import findings_in
    from devdoctor.private import write_private
    from devdoctor.redact import Redactor

    try:
        log = paths.state_dir() / "last-run.log"
        kept = Redactor().text(output.decode("utf-8", "surrogateescape"))
        write_private(log, kept.encode("utf-8", "surrogateescape"))
        source = str(log)
        stream = io.BufferedReader(io.BytesIO(output))
        findings = findings_in(
            [(source, stream)], registry.load().rules, default_context(load_config())
        )
    except Exception as exc:  # the command's own exit code matters more than our diagnosis
        print(f"devdoctor: could not diagnose the output: {exc}", file=sys.stderr)
        return
    if not findings:
        return
    command = Redactor().text(shlex.join(argv))
    print(
        f"\ndevdoctor: `{command}` failed (exit {exit_code}); known problems in its output:",
        file=sys.stderr,
    )
    render_diagnose(Redactor().data(diagnosis_model(findings)), stderr=True)
