"""The command line: parse, call, exit. The only module that imports typer."""

from __future__ import annotations

import sys
import traceback
from typing import Annotated

import typer

from devdoctor import __version__

app = typer.Typer(
    name="devdoctor",
    help="A doctor for Python/ML developer machines: check, preview a fix, apply, verify, undo.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

Rules = Annotated[
    list[str] | None, typer.Argument(metavar="[RULE]...", help="Rule codes (DD302) or names.")
]
Python = Annotated[
    str | None,
    typer.Option(
        "--python",
        help="Examine this interpreter's "
        "environment (default: $VIRTUAL_ENV, $CONDA_PREFIX, "
        "python3 on PATH).",
    ),
]
Format = Annotated[str, typer.Option("--format", help="text or json.")]


@app.command()
def check(
    rules: Rules = None,
    python: Python = None,
    format: Format = "text",
    verbose: Annotated[bool, typer.Option("-v", "--verbose", help="Facts and timings.")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Also fail on warn and skip.")] = False,
) -> int:
    """Run the rules and report what is wrong."""
    from devdoctor import commands

    return commands.check(rules or [], python, format, verbose, strict)


@app.command()
def fix(
    rules: Rules = None,
    apply: Annotated[
        bool, typer.Option("--apply", help="Write the fixes (default: preview).")
    ] = False,
    unsafe_fixes: Annotated[
        bool, typer.Option("--unsafe-fixes", help="Include unsafe fixes.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Confirm without asking.")] = False,
    target: Annotated[
        str,
        typer.Option(
            "--target",
            help="Where environment variables are persisted: auto, conda, venv, shell or print.",
        ),
    ] = "auto",
    python: Python = None,
    alternative: Annotated[
        int, typer.Option("--alternative", min=0, help="Use the rule's alternative fix N.")
    ] = 0,
    from_log: Annotated[
        list[str] | None,
        typer.Option("--from-log", metavar="FILE", help="Fix what this log shows, not a check."),
    ] = None,
    message: Annotated[
        str | None, typer.Option("-m", "--message", help="Commit message for a history squash.")
    ] = None,
    push: Annotated[
        bool, typer.Option("--push", help="Push a rewritten branch (with a lease).")
    ] = False,
    unpushed_only: Annotated[
        bool, typer.Option("--unpushed-only", help="Squash only what is not pushed yet.")
    ] = False,
) -> int:
    """Preview fixes as diffs; with --apply write them, re-check, and journal them for undo."""
    from devdoctor import fix_commands

    options = {"message": message, "push": push, "unpushed_only": unpushed_only}
    return fix_commands.fix(
        rules or [],
        apply,
        unsafe_fixes,
        yes,
        target,
        python,
        alternative,
        from_log or [],
        options,
    )


@app.command()
def undo(
    list_runs: Annotated[bool, typer.Option("--list", help="Show the journal.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Confirm without asking.")] = False,
) -> int:
    """Revert the last applied fix run (refuses if a file changed since)."""
    from devdoctor import fix_commands

    return fix_commands.undo(list_runs, yes)


@app.command("rules")
def rules_cmd(format: Format = "text") -> int:
    """List every rule: code, name, scope, whether it can fix."""
    from devdoctor import commands

    return commands.list_rules(format)


@app.command()
def explain(rule: Annotated[str, typer.Argument(help="A rule code or name.")]) -> int:
    """Show a rule's documentation."""
    from devdoctor import commands

    return commands.explain(rule)


@app.command()
def diagnose(
    files: Annotated[
        list[str] | None,
        typer.Argument(metavar="[FILE]...", help="Logs to read; - or nothing reads stdin."),
    ] = None,
    format: Format = "text",
) -> int:
    """Recognise known problems in pasted error output or a log file."""
    from devdoctor import commands

    return commands.diagnose(files or [], format)


hook_app = typer.Typer(
    help="devdoctor as a git hook (never writes, prompts or uses the network).",
    no_args_is_help=True,
)
app.add_typer(hook_app, name="hook")
Stage = Annotated[str, typer.Option("--stage", help="pre-commit or pre-push.")]


@hook_app.command("run")
def hook_run(
    files: Annotated[
        list[str] | None,
        typer.Argument(metavar="[FILE]...", help="Staged files to check (default: all staged)."),
    ] = None,
) -> int:
    """Hook-safe rules on the staged content (large raw files, HF tokens, HF_ENDPOINT order)."""
    from devdoctor import hooks

    return hooks.run(files or [])


@hook_app.command("history")
def hook_history() -> int:
    """DD301 on the branch being pushed."""
    from devdoctor import hooks

    return hooks.history()


@hook_app.command("install")
def hook_install(stage: Stage = "pre-commit") -> int:
    """Install a git hook that runs devdoctor; an existing hook is kept and runs first."""
    from devdoctor import hooks

    return hooks.install(stage)


@hook_app.command("uninstall")
def hook_uninstall(stage: Stage = "pre-commit") -> int:
    """Remove devdoctor's git hook and put back the one that was there."""
    from devdoctor import hooks

    return hooks.uninstall(stage)


@app.command(context_settings={"allow_interspersed_args": False, "ignore_unknown_options": True})
def run(
    command: Annotated[
        list[str], typer.Argument(metavar="-- CMD [ARGS]...", help="The command to run.")
    ],
) -> int:
    """Run a command with its output live; when it fails, diagnose its output."""
    from devdoctor import runcmd

    return runcmd.run(command)


@app.command()
def version() -> int:
    """Print devdoctor's version."""
    print(f"devdoctor {__version__}")
    return 0


def _one_line(message: str) -> str:
    return " ".join(message.split())


def main(argv: list[str] | None = None) -> int:
    from devdoctor.errors import DevdoctorError

    command = typer.main.get_command(app)
    try:
        code = command.main(args=argv, prog_name="devdoctor", standalone_mode=False)
    except DevdoctorError as exc:
        print(f"devdoctor: {_one_line(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except typer.TyperException as exc:  # the CLI's own usage errors
        print(f"devdoctor: error: {_one_line(exc.format_message())}", file=sys.stderr)
        return int(getattr(exc, "exit_code", 2))
    except (KeyboardInterrupt, typer.Abort):
        print("devdoctor: interrupted", file=sys.stderr)
        return 130
    except Exception:
        from devdoctor.commands import log_crash

        log = log_crash(traceback.format_exc())
        kind = sys.exc_info()[0]
        print(
            f"devdoctor: internal error ({kind.__name__ if kind else '?'}); "
            f"the traceback is in {log}",
            file=sys.stderr,
        )
        return 3
    return code if isinstance(code, int) else 0
