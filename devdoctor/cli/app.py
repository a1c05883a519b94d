"""The command line: parse, call, exit. The only module that imports typer."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from devdoctor import __version__

EXAMPLES = """Examples:

\b
  devdoctor check                      every rule, on $VIRTUAL_ENV (or python3 on PATH)
  devdoctor check DD3 --python ~/venvs/train/bin/python
  devdoctor fix static-tls             preview the fix as a diff; add --apply to write it
  devdoctor diagnose train.log         known problems in pasted output or a log
  devdoctor run -- python train.py     run it; if it fails, say what went wrong
  devdoctor undo                       put back what the last fix changed
"""

app = typer.Typer(
    name="devdoctor",
    help="A doctor for Python/ML developer machines: check, preview a fix, apply, verify, undo.",
    epilog=EXAMPLES,
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _show_version(value: bool) -> None:
    if value:
        print(f"devdoctor {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool | None,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="Print the version and exit."
        ),
    ] = None,
) -> None:
    """A doctor for Python/ML developer machines: check, preview a fix, apply, verify, undo."""


Rules = Annotated[
    list[str] | None, typer.Argument(metavar="[RULE]...", help="Rule codes (DD302) or names.")
]
Python = Annotated[
    str | None,
    typer.Option(
        "--python",
        metavar="PATH",
        help="Examine this interpreter's "
        "environment (default: $VIRTUAL_ENV, $CONDA_PREFIX, "
        "python3 on PATH).",
    ),
]
Format = Annotated[str, typer.Option("--format", metavar="[text|json]", help="Output format.")]
CheckFormat = Annotated[
    str,
    typer.Option(
        "--format",
        metavar="[text|json|jsonl|markdown]",
        help="text; json (one document); jsonl (the same on one line, for fleet merge); "
        "markdown (a report to paste into an issue).",
    ),
]


NodeName = Annotated[
    str | None,
    typer.Option(
        "--node-name",
        metavar="NAME",
        help="This machine's name in JSON output and fleet journals "
        "(default: $SLURMD_NODENAME, the Kubernetes node, the hostname).",
    ),
]


@app.command()
def check(
    rules: Rules = None,
    python: Python = None,
    format: CheckFormat = "text",
    verbose: Annotated[bool, typer.Option("-v", "--verbose", help="Facts and timings.")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Also fail on warn and skip.")] = False,
    offline: Annotated[
        bool, typer.Option("--offline", help="Skip the rules that contact servers.")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("-q", "--quiet", help="Only what is not a pass, and the summary.")
    ] = False,
    node_name: NodeName = None,
) -> int:
    """Run the rules and report what is wrong."""
    from devdoctor.cli import commands

    return commands.check(rules or [], python, format, verbose, strict, offline, quiet, node_name)


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
    keep_unverified: Annotated[
        bool,
        typer.Option("--keep-unverified", help="Keep a fix whose proof in a new process fails."),
    ] = False,
    offline: Annotated[
        bool, typer.Option("--offline", help="Skip the rules that contact servers.")
    ] = False,
    diff: Annotated[
        bool, typer.Option("--diff", help="Show file changes as full unified diffs.")
    ] = False,
    format: Annotated[
        str,
        typer.Option(
            "--format", metavar="[text|json|jsonl]", help="json/jsonl: the plan or outcome as data."
        ),
    ] = "text",
    fleet_run: Annotated[
        str | None,
        typer.Option("--fleet-run", metavar="ID", help="Tag the journal run (fleet fix apply)."),
    ] = None,
    node_name: NodeName = None,
    **rule_flags: Any,  # the rules' own fix options (Rule.fix_options), added by _rule_flags
) -> int:
    """Preview fixes as diffs; with --apply write them, re-check, and journal them for undo."""
    from devdoctor.cli import fix_commands

    return fix_commands.fix(
        rules or [],
        apply,
        unsafe_fixes,
        yes,
        target,
        python,
        alternative,
        from_log or [],
        {k: v for k, v in rule_flags.items() if v is not None},
        keep_unverified,
        offline,
        diff,
        format,
        fleet_run,
        node_name,
    )


def _signature_without_rule_flags() -> None:
    """typer reads `fix`'s signature; **rule_flags is not a flag of its own."""
    import inspect

    base = inspect.signature(fix, eval_str=True)
    params = [p for p in base.parameters.values() if p.kind is not p.VAR_KEYWORD]
    fix.__signature__ = base.replace(parameters=params)  # type: ignore[attr-defined]


_signature_without_rule_flags()


def _rule_flags() -> None:
    """Give `fix` one flag per field of every rule's fix options (bool: a switch; str: a
    value), so `devdoctor fix --help` lists them. Only done when the command is `fix`."""
    import dataclasses
    import inspect

    from devdoctor.core.registry import load

    base = inspect.signature(fix)
    params = list(base.parameters.values())
    seen = {p.name for p in params}
    for rule in load().rules:
        if rule.fix_options is None:
            continue
        for field in dataclasses.fields(rule.fix_options):
            if field.name in seen:
                continue
            seen.add(field.name)
            decls = [f"--{field.name.replace('_', '-')}", *field.metadata.get("short", ())]
            help_text = f"{rule.code}: {field.metadata.get('help', '')}"
            kind = bool if isinstance(field.default, bool) else str | None
            option = typer.Option(*decls, help=help_text)
            params.append(
                inspect.Parameter(
                    field.name,
                    inspect.Parameter.KEYWORD_ONLY,
                    default=False if kind is bool else None,
                    annotation=Annotated[kind, option],
                )
            )
    fix.__signature__ = base.replace(parameters=params)  # type: ignore[attr-defined]


@app.command()
def undo(
    run_id: Annotated[
        str | None,
        typer.Argument(metavar="[RUN]", help="The run to undo (see --list; default: the last)."),
    ] = None,
    list_runs: Annotated[bool, typer.Option("--list", help="Show the journal.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Confirm without asking.")] = False,
    fleet_run: Annotated[
        str | None,
        typer.Option("--fleet-run", metavar="ID", help="Undo this node's part of a fleet rollout."),
    ] = None,
    node_name: NodeName = None,
) -> int:
    """Revert an applied fix run (refuses if a file changed since)."""
    from devdoctor.cli import fix_commands

    return fix_commands.undo(list_runs, yes, run_id, fleet_run, node_name)


@app.command("rules")
def rules_cmd(format: Format = "text") -> int:
    """List every rule: code, name, scope, whether it can fix."""
    from devdoctor.cli import commands

    return commands.list_rules(format)


@app.command()
def explain(rule: Annotated[str, typer.Argument(help="A rule code or name.")]) -> int:
    """Show a rule's documentation."""
    from devdoctor.cli import commands

    return commands.explain(rule)


@app.command()
def diagnose(
    files: Annotated[
        list[str] | None,
        typer.Argument(metavar="[FILE]...", help="Logs to read; - or nothing reads stdin."),
    ] = None,
    format: Format = "text",
    python: Python = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Also fail on problems that are only possible.")
    ] = False,
) -> int:
    """Recognise known problems in pasted error output or a log file."""
    from devdoctor.cli import commands

    return commands.diagnose(files or [], format, python, strict)


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
    from devdoctor.cli import hooks

    return hooks.run(files or [])


@hook_app.command("history")
def hook_history() -> int:
    """DD301 on the branch being pushed."""
    from devdoctor.cli import hooks

    return hooks.history()


@hook_app.command("install")
def hook_install(stage: Stage = "pre-commit") -> int:
    """Install a git hook that runs devdoctor; an existing hook is kept and runs first."""
    from devdoctor.cli import hooks

    return hooks.install(stage)


@hook_app.command("uninstall")
def hook_uninstall(stage: Stage = "pre-commit") -> int:
    """Remove devdoctor's git hook and put back the one that was there."""
    from devdoctor.cli import hooks

    return hooks.uninstall(stage)


fleet_app = typer.Typer(
    help="devdoctor across a cluster: merge node reports, check an allocation through srun, "
    "act as Slurm's HealthCheckProgram.",
    no_args_is_help=True,
)
app.add_typer(fleet_app, name="fleet")


@fleet_app.command("merge")
def fleet_merge(
    sources: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[DIR|FILE|-]...", help="Reports: JSON files, JSON lines, folders; - is stdin."
        ),
    ] = None,
    expect: Annotated[
        str | None,
        typer.Option("--expect", metavar="HOSTLIST", help="Nodes that must report: node[01-64]."),
    ] = None,
    max_age: Annotated[
        str | None,
        typer.Option("--max-age", metavar="AGE", help="Older reports are stale: 30m, 2h, 1d."),
    ] = None,
    format: Annotated[
        str,
        typer.Option(
            "--format", metavar="[text|json|markdown|html|hostlist]", help="Output format."
        ),
    ] = "text",
    by: Annotated[
        str, typer.Option("--by", metavar="[message|code]", help="Group by message or by rule.")
    ] = "message",
    output: Annotated[
        str | None, typer.Option("--output", "-o", metavar="FILE", help="Write here (0600).")
    ] = None,
    verbose: Annotated[bool, typer.Option("-v", "--verbose", help="List every pass.")] = False,
    drift: Annotated[
        bool,
        typer.Option("--drift", help="Facts that differ: the majority's value and the outliers'."),
    ] = False,
) -> int:
    """One verdict per problem across nodes; missing, stale and unreadable reports are rows too.
    Exit 0 all pass, 1 a failure, 2 a node missing, stale or unreadable."""
    from devdoctor.cli import fleet_commands

    return fleet_commands.fleet_merge(
        sources or [], expect, max_age, format, by, output, verbose, drift
    )


@fleet_app.command(
    "srun", context_settings={"allow_interspersed_args": False, "ignore_unknown_options": True}
)
def fleet_srun(
    args: Annotated[
        list[str] | None,
        typer.Argument(metavar="[SRUN OPTIONS] [-- CHECK ARGS]", help="Passed to srun / check."),
    ] = None,
    format: Annotated[
        str,
        typer.Option(
            "--format", metavar="[text|json|markdown|html|hostlist]", help="Output format."
        ),
    ] = "text",
    timeout: Annotated[
        float | None,
        typer.Option("--timeout", metavar="SECONDS", help="Merge what came back by then."),
    ] = None,
) -> int:
    """Check every node of your allocation through srun, merged; ends with an --exclude= line.
    A non-zero exit lets a batch script stop before torchrun. Options before the srun ones."""
    from devdoctor.cli import fleet_commands

    return fleet_commands.fleet_srun(args or [], format, timeout)


fleet_fix_app = typer.Typer(
    help="Fix across nodes: plan (nothing written), apply (shared files once, canary, batches).",
    no_args_is_help=True,
)
fleet_app.add_typer(fleet_fix_app, name="fix")
PASSTHROUGH = {"allow_interspersed_args": False, "ignore_unknown_options": True}
SrunArgs = Annotated[
    list[str] | None,
    typer.Argument(metavar="[SRUN OPTIONS] [-- FIX ARGS]", help="Passed to srun / fix."),
]
UnsafeCodes = Annotated[
    list[str] | None,
    typer.Option("--unsafe-fixes", metavar="CODE", help="Also roll out this rule's unsafe fix."),
]


@fleet_fix_app.command("plan", context_settings=PASSTHROUGH)
def fleet_fix_plan(
    args: SrunArgs = None,
    format: Annotated[str, typer.Option("--format", metavar="[text|json]")] = "text",
    unsafe_fixes: UnsafeCodes = None,
) -> int:
    """Every node's fix preview through srun, identical changes grouped; writes nothing."""
    from devdoctor.cli import fleet_fix_commands

    return fleet_fix_commands.fleet_fix_plan(args or [], format, unsafe_fixes or [])


@fleet_fix_app.command("apply", context_settings=PASSTHROUGH)
def fleet_fix_apply(
    args: SrunArgs = None,
    engine: Annotated[str, typer.Option("--engine", metavar="[slurm]")] = "slurm",
    canary: Annotated[int, typer.Option("--canary", help="Nodes fixed first, alone.")] = 1,
    batch: Annotated[int, typer.Option("--batch", help="Nodes fixed together after it.")] = 8,
    max_fail: Annotated[
        int, typer.Option("--max-fail", help="Stop once more nodes than this failed.")
    ] = 0,
    unsafe_fixes: UnsafeCodes = None,
) -> int:
    """Apply safe fixes on every node that plans them: shared files once, a canary, batches;
    each node journals its part under one fleet run id."""
    from devdoctor.cli import fleet_fix_commands

    return fleet_fix_commands.fleet_fix_apply(
        args or [], unsafe_fixes or [], canary, batch, max_fail, engine
    )


@fleet_app.command("undo", context_settings=PASSTHROUGH)
def fleet_undo(
    run_id: Annotated[str, typer.Argument(metavar="RUN_ID", help="From fleet fix apply.")],
    args: Annotated[
        list[str] | None, typer.Argument(metavar="[SRUN OPTIONS]", help="Passed to srun.")
    ] = None,
) -> int:
    """Undo a fleet rollout on exactly the nodes it touched."""
    from devdoctor.cli import fleet_fix_commands

    return fleet_fix_commands.fleet_undo(run_id, args or [])


@fleet_app.command("render")
def fleet_render(
    what: Annotated[str, typer.Argument(metavar="playbook", help="What to write.")],
    output: Annotated[
        str | None, typer.Option("--output", "-o", metavar="FILE", help="Write here.")
    ] = None,
) -> int:
    """Write an adapter file: the Ansible playbook that checks, collects, fixes and undoes."""
    from devdoctor.cli import fleet_commands

    return fleet_commands.fleet_render(what, output)


@fleet_app.command("healthcheck")
def fleet_healthcheck(
    policy: Annotated[
        str | None,
        typer.Option("--policy", metavar="FILE", help="The policy (TOML): what to examine."),
    ] = None,
    mode: Annotated[
        str, typer.Option("--mode", metavar="[healthcheck|prolog]", help="How Slurm runs it.")
    ] = "healthcheck",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the scontrol calls instead of running them.")
    ] = False,
    node_name: Annotated[
        str | None, typer.Option("--node-name", metavar="NAME", help="This node's name.")
    ] = None,
) -> int:
    """Slurm's HealthCheckProgram (or prolog): node rules only; drains with a devdoctor: reason,
    resumes only its own drains."""
    from devdoctor.cli import fleet_commands

    return fleet_commands.fleet_healthcheck(policy, mode, dry_run, node_name)


@app.command(context_settings={"allow_interspersed_args": False, "ignore_unknown_options": True})
def run(
    command: Annotated[
        list[str], typer.Argument(metavar="-- CMD [ARGS]...", help="The command to run.")
    ],
) -> int:
    """Run a command with its output live; when it fails, diagnose its output."""
    from devdoctor.cli import run_command

    return run_command.run(command)


@app.command()
def version() -> int:
    """Print devdoctor's version."""
    print(f"devdoctor {__version__}")
    return 0


def main(argv: list[str] | None = None) -> int:
    from devdoctor.cli.crash import guarded, one_line, scrubbed

    args = sys.argv[1:] if argv is None else argv

    def parse_and_run() -> int:
        try:
            if args[:1] == ["fix"]:
                _rule_flags()
            command = typer.main.get_command(app)
            code = command.main(args=args, prog_name="devdoctor", standalone_mode=False)
        except typer.TyperException as exc:  # the CLI's own usage errors
            message = scrubbed(one_line(exc.format_message()))
            print(f"devdoctor: error: {message}", file=sys.stderr)
            return int(getattr(exc, "exit_code", 2))
        except typer.Abort:
            raise KeyboardInterrupt from None
        return code if isinstance(code, int) else 0

    return guarded(parse_and_run)
