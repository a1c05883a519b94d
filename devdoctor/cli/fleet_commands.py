"""`devdoctor fleet ...`: merge node reports, run a check on every node of an allocation, and act
as Slurm's HealthCheckProgram. The fleet modules (and ClusterShell) load only here."""

from __future__ import annotations

import datetime
import os
import re
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from devdoctor.errors import UsageError
from devdoctor.redact import Redactor, strip_controls

MERGE_FORMATS = ("text", "json", "markdown", "html", "hostlist")
_AGE = re.compile(r"(\d+)\s*([smhd]?)")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_age(text: str) -> datetime.timedelta:
    """`90s`, `30m`, `2h`, `1d` or plain seconds."""
    found = _AGE.fullmatch(text.strip())
    if not found:
        raise UsageError(f"--max-age {text!r}: a number with s, m, h or d (e.g. 30m)")
    return datetime.timedelta(seconds=int(found.group(1)) * _UNITS[found.group(2)])


def _render(model: dict[str, Any], fmt: str, verbose: bool, drift: bool = False) -> str:
    import json

    from devdoctor.fleet import render

    if fmt == "json":
        return json.dumps(model, indent=2) + "\n"
    if fmt == "markdown":
        return render.markdown(model, drift)
    if fmt == "html":
        return render.page(model)
    if fmt == "hostlist":
        return render.hostlist(model)
    return render.text(model, verbose, drift)


def _output(text: str, output: str | None) -> None:
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    from devdoctor.private import write_private

    try:
        write_private(Path(output), text.encode())
    except OSError as exc:
        raise UsageError(f"--output {output}: {exc.strerror or exc}") from None
    print(f"wrote {output}", file=sys.stderr)


def _merged(items: Any, expect: str | None, max_age: str | None, by: str) -> dict[str, Any]:
    from devdoctor.fleet import merge, nodes, reports

    if by not in ("message", "code"):
        raise UsageError(f"--by {by}: choose message or code")
    options = merge.Options(
        expected=nodes.expand(expect) if expect else (),
        max_age=parse_age(max_age) if max_age else None,
        by=by,
    )
    model = merge.merge(reports.collect(items), options)
    clean: dict[str, Any] = Redactor().data(model)  # reports come from other machines
    return clean


def fleet_merge(
    sources: Sequence[str],
    expect: str | None,
    max_age: str | None,
    fmt: str,
    by: str,
    output: str | None,
    verbose: bool,
    drift: bool = False,
) -> int:
    from devdoctor.fleet import merge, reports

    if fmt not in MERGE_FORMATS:
        raise UsageError(f"--format {fmt}: choose {', '.join(MERGE_FORMATS)}")
    if not sources:
        if sys.stdin.isatty():
            raise UsageError("no reports: name files or folders, or pipe JSON lines into `-`")
        sources = ["-"]
    model = _merged(reports.read(sources), expect, max_age, by)
    _output(_render(model, fmt, verbose, drift), output)
    return merge.exit_code(model)


def fleet_srun(args: Sequence[str], fmt: str, timeout: float | None) -> int:
    """`fleet srun [SRUN OPTIONS] [-- CHECK ARGS]`."""
    from devdoctor.fleet import merge, srun

    if fmt not in MERGE_FORMATS:
        raise UsageError(f"--format {fmt}: choose {', '.join(MERGE_FORMATS)}")
    if timeout is not None and timeout <= 0:
        raise UsageError("--timeout: a number of seconds above 0")
    args = list(args)
    srun_args, check_args = (
        (args[: args.index("--")], args[args.index("--") + 1 :]) if "--" in args else (args, [])
    )
    cmd = srun.command(srun_args, ["check", "--format", "jsonl", *check_args])
    print(f"running: {shlex.join(cmd)}", file=sys.stderr)
    items, code = srun.run(cmd, timeout)
    expect = srun.expected_nodes(srun_args, os.environ)
    model = _merged(items, expect, None, "message")
    if code == 124:
        print(
            f"devdoctor: srun did not finish in {timeout:g} s; merged what came back",
            file=sys.stderr,
        )
    _output(_render(model, fmt, False), None)
    result = merge.exit_code(model)
    if not model["nodes"]["reported_count"]:
        print(f"devdoctor: error: srun returned no report (exit {code})", file=sys.stderr)
        return 2
    return result


def fleet_healthcheck(
    policy_file: str | None, mode: str, dry_run: bool, node_name: str | None
) -> int:
    from devdoctor.core import host, registry
    from devdoctor.fleet import healthcheck as hc

    if mode not in ("healthcheck", "prolog"):
        raise UsageError(f"--mode {mode}: choose healthcheck or prolog")
    policy = hc.load_policy(policy_file)
    node, _ = host.node_name(os.environ, node_name)
    if not host.NODE_NAME.fullmatch(node):  # it names the env file: no path in it
        raise UsageError(f"node name {node!r}: letters, digits, '.', '_' and '-' only")
    env = hc.examined_env(policy, os.environ, node)
    loaded = registry.load()
    chosen = (
        loaded.resolve(list(policy.rules)) if policy.rules else [r for r in loaded.rules if r.node]
    )
    users = [r.code for r in chosen if not r.node]
    if users:
        raise UsageError(
            f"not node rules (a user's problem never drains a node): {', '.join(users)}"
        )
    verdict = hc.run_check(policy, node, env, [r.code for r in chosen])
    if policy.report_dir and verdict.report is not None:
        import json

        from devdoctor.private import write_private

        write_private(
            Path(policy.report_dir) / f"{node}.json",
            json.dumps(Redactor().data(verdict.report)).encode(),
        )
    said = (
        f"error: {verdict.error}"
        if verdict.error
        else (hc.summary(verdict.failing) if verdict.failing else "pass")
        + (f" (warn: {', '.join(verdict.warning)})" if verdict.warning else "")
    )
    print(strip_controls(f"devdoctor healthcheck on {node}: {said}"), file=sys.stderr)
    if mode == "prolog":  # no Slurm calls from a prolog: a non-zero exit drains and requeues
        return 2 if verdict.error else (1 if verdict.failing else 0)
    calls = hc.actions(node, hc.node_state(node, env), verdict)
    for call in calls:
        print(("would run: " if dry_run else "running: ") + shlex.join(call), file=sys.stderr)
    if not dry_run:
        hc.apply(calls, env)
    return 2 if verdict.error else (1 if verdict.failing else 0)


def fleet_render(what: str, output: str | None) -> int:
    """The adapter files devdoctor ships: the Ansible playbook."""
    from importlib.resources import files

    if what != "playbook":
        raise UsageError(f"render {what!r}: choose playbook")
    text = files("devdoctor.fleet").joinpath("playbook.yml").read_text()
    _output(text, output)
    return 0
