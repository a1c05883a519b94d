"""`fleet healthcheck`: devdoctor as Slurm's HealthCheckProgram (or prolog). Slurm runs it as
root with an almost empty environment and kills it at 60 s, so the policy file says what to
examine (PATH, an environment file, the interpreter) and the run is bounded well under that.

Only node rules run (a user's project or shell never drains a node). Drains carry our prefix;
a drain or comment whose text we did not write is never touched, and only our own drains are
resumed (LBNL NHC's ownership rules). Our own failure is reported, never taken as a pass."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devdoctor.errors import UsageError

PREFIX = "devdoctor:"
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
SLURM_KILLS_AT = 60.0
SLURM_CALL_TIMEOUT = 10.0  # scontrol/sinfo hang before slurmd registers (NHC #159)


@dataclass(frozen=True)
class Policy:
    python: str | None = None  # the interpreter whose environment jobs use
    # KEY=VALUE lines: the node's job environment; `{node}` is this node's name (one policy on a
    # shared filesystem, one file per node)
    env_file: str | None = None
    rules: tuple[str, ...] = ()  # default: every node rule
    timeout: float = 40.0
    path: str = DEFAULT_PATH
    offline: bool = True  # a hub probe from every node every interval is traffic sites notice
    report_dir: str | None = None  # each run's report, for `fleet merge`
    cwd: str = "/"


def load_policy(file: str | None) -> Policy:
    if file is None:
        return Policy()
    try:
        data = tomllib.loads(Path(file).read_text())
    except OSError as exc:
        raise UsageError(f"{file}: cannot read the policy: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{file}: not TOML: {exc}") from None
    section = data.get("healthcheck", {})
    known = set(Policy.__dataclass_fields__)
    unknown = sorted(set(section) - known) if isinstance(section, dict) else ["healthcheck"]
    if unknown:
        raise UsageError(
            f"{file}: unknown policy keys: {', '.join(unknown)} (known: {', '.join(sorted(known))})"
        )
    values: dict[str, Any] = dict(section)
    for name in ("python", "env_file", "path", "report_dir", "cwd"):
        if name in values and not isinstance(values[name], str):
            raise UsageError(f"{file}: {name} must be a string")
    if "offline" in values and not isinstance(values["offline"], bool):
        raise UsageError(f"{file}: offline must be true or false")
    if "rules" in values:
        if not isinstance(values["rules"], list) or not all(
            isinstance(r, str) for r in values["rules"]
        ):
            raise UsageError(f"{file}: rules must be a list of rule codes or names")
        values["rules"] = tuple(values["rules"])
    policy = Policy(**values)
    number = isinstance(policy.timeout, (int, float)) and not isinstance(policy.timeout, bool)
    if not number or not 1 <= policy.timeout <= SLURM_KILLS_AT - 10:
        raise UsageError(
            f"{file}: timeout must be 1-{SLURM_KILLS_AT - 10:g} s (Slurm kills at 60 s)"
        )
    return policy


def read_env_file(file: str) -> dict[str, str]:
    """KEY=VALUE lines (an optional `export `, quotes around the value); nothing is executed."""
    import shlex

    found: dict[str, str] = {}
    try:
        text = Path(file).read_text()
    except FileNotFoundError:
        return found  # no file: the node sets nothing extra
    except OSError as exc:
        raise UsageError(f"{file}: cannot read: {exc.strerror or exc}") from None
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, eq, value = line.removeprefix("export ").partition("=")
        if not eq or not key.replace("_", "a").isalnum():
            raise UsageError(f"{file}:{number}: expected NAME=value")
        try:
            parts = shlex.split(value)
        except ValueError as exc:
            raise UsageError(f"{file}:{number}: {exc}") from None
        found[key] = " ".join(parts)
    return found


def examined_env(policy: Policy, inherited: Mapping[str, str], node: str) -> dict[str, str]:
    env = {"PATH": policy.path, "LANG": "C.UTF-8"}
    kept = ("SLURMD_NODENAME", "SLURM_CONF", "HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME")
    for name in (*kept, "XDG_STATE_HOME"):
        if inherited.get(name):
            env[name] = inherited[name]
    if "HOME" not in env:
        import pwd

        env["HOME"] = pwd.getpwuid(os.getuid()).pw_dir
    if policy.env_file:
        env.update(read_env_file(policy.env_file.replace("{node}", node)))
    return env


@dataclass
class Verdict:
    failing: list[str] = field(default_factory=list)  # "DD102 stale-ld-preload"
    warning: list[str] = field(default_factory=list)
    error: str | None = None  # no verdict at all (no report, a time-out), attributed
    report: dict[str, Any] | None = None


def run_check(policy: Policy, node: str, env: Mapping[str, str], rules: Sequence[str]) -> Verdict:
    cmd = [sys.executable, "-m", "devdoctor", "check", "--format", "json", "--node-name", node]
    cmd += (["--python", policy.python] if policy.python else []) + (
        ["--offline"] if policy.offline else []
    )
    cmd += list(rules)
    try:
        proc = subprocess.run(
            cmd,
            env=dict(env),
            cwd=policy.cwd,
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=policy.timeout,
        )
    except subprocess.TimeoutExpired:
        return Verdict(error=f"devdoctor check did not finish in {policy.timeout:g} s")
    except OSError as exc:
        return Verdict(error=f"cannot run devdoctor check: {exc.strerror or exc}")
    try:
        report = json.loads(proc.stdout)
    except ValueError:
        said = proc.stderr.decode(errors="replace").strip().splitlines() or [
            f"exit {proc.returncode}"
        ]
        return Verdict(error=f"devdoctor check gave no report: {said[-1][:200]}")
    verdict = Verdict(report=report)
    for result in report.get("results", []):
        label = f"{result['code']} {result['name']}"
        if result["status"] == "fail":
            verdict.failing.append(label)
        elif result["status"] == "warn":
            verdict.warning.append(label)
        elif result["status"] == "error":  # the rule, not the node: said in the comment
            verdict.warning.append(f"{label} (rule error)")
    return verdict


def summary(labels: Sequence[str]) -> str:
    """`devdoctor: DD102 stale-ld-preload, +2 more`: short enough for sinfo's reason column."""
    return f"{PREFIX} {labels[0]}" + (f", +{len(labels) - 1} more" if len(labels) > 1 else "")


@dataclass(frozen=True)
class NodeState:
    reason: str  # "" when none
    comment: str


def node_state(node: str, env: Mapping[str, str]) -> NodeState:
    """The node's drain reason and comment, from sinfo; raises UsageError when Slurm does not
    answer in time."""
    reason = _slurm(["sinfo", "-h", "-N", "-n", node, "-o", "%E"], env).strip()
    shown = _slurm(["scontrol", "show", "node", node], env)
    comment = ""
    for line in shown.splitlines():
        if line.strip().startswith("Comment="):
            comment = line.strip().removeprefix("Comment=")
    return NodeState(
        "" if reason in ("none", "(null)") else reason, "" if comment == "(null)" else comment
    )


def _slurm(cmd: list[str], env: Mapping[str, str]) -> str:
    try:
        proc = subprocess.run(
            cmd,
            env=dict(env),
            capture_output=True,
            text=True,
            timeout=SLURM_CALL_TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise UsageError(
            f"{' '.join(cmd[:2])} did not answer in {SLURM_CALL_TIMEOUT:g} s"
        ) from None
    except OSError as exc:
        raise UsageError(f"cannot run {cmd[0]}: {exc.strerror or exc}") from None
    if proc.returncode != 0:
        said = " ".join(proc.stderr.split())[-200:] or f"exit {proc.returncode}"
        raise UsageError(f"{' '.join(cmd[:2])} failed: {said}")
    return proc.stdout


def actions(node: str, state: NodeState, verdict: Verdict) -> list[list[str]]:
    """The scontrol calls that bring the node in line with the verdict, under ownership rules."""
    ours_drain = state.reason.startswith(PREFIX)
    ours_comment = state.comment.startswith(PREFIX)
    calls: list[list[str]] = []
    update = ["scontrol", "update", f"nodename={node}"]
    if verdict.error:
        # Not a verdict on the node: say so where admins look, never drain, never resume.
        if not state.comment or ours_comment:
            text = f"{PREFIX} healthcheck error: {verdict.error}"[:250]
            if state.comment != text:
                calls.append([*update, f"comment={text}"])
        return calls
    if verdict.failing:
        reason = summary(verdict.failing)
        if (not state.reason or ours_drain) and state.reason != reason:
            calls.append([*update, "state=drain", f"reason={reason}"])
    elif ours_drain:
        calls.append([*update, "state=resume"])
    comment = summary(verdict.warning) if verdict.warning else ""
    if (not state.comment or ours_comment) and state.comment != comment:
        calls.append([*update, f"comment={comment}"])
    return calls


def apply(calls: Sequence[list[str]], env: Mapping[str, str]) -> None:
    for call in calls:
        _slurm(call, env)
