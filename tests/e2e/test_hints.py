"""Every command devdoctor prints as a next step is run here exactly as printed, and must do
what it said."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from helpers import NEEDS_PRELOAD, Runner


def printed(text: str, start: str, containing: str = "") -> str:
    """The first `...` command in the output that starts with `start` (and holds `containing`)."""
    found = [c for c in re.findall(r"`(" + re.escape(start) + r"[^`]*)`", text) if containing in c]
    assert found, text
    return found[0]


def run_printed(cli: Runner, command: str, **kwargs):
    words = shlex.split(command)
    assert words[0] == "devdoctor"
    return cli(*words[1:], **kwargs)


def test_check_then_fix_then_apply_as_printed(
    cli: Runner, plugin, user_venv: Path, tmp_path: Path
) -> None:
    env = {**plugin("needs_preload", NEEDS_PRELOAD), "DDTEST_LIB": str(tmp_path / "lib.so")}
    python = str(user_venv / "bin" / "python")
    checked = cli("check", "XX903", "--python", python, env=env)
    assert checked.code == 1
    hint = printed(checked.out, "devdoctor fix")
    assert "XX903" in hint and python in hint  # the same rule, the same environment
    preview = run_printed(cli, hint, env=env)
    assert (
        "Preload the test library" in preview.out and f"persist in venv {user_venv}" in preview.out
    )
    apply = printed(preview.out, "devdoctor fix", "--apply")
    assert "--apply" in apply, preview.out
    applied = run_printed(cli, apply, env=env)
    assert applied.code == 0, applied.out + applied.err
    assert "takes effect in a new shell/process" in applied.out
    assert "LD_PRELOAD" in (user_venv / "bin" / "activate").read_text()
    undo = printed(applied.out, "devdoctor undo")
    assert run_printed(cli, undo + " --yes").code == 0
    assert "LD_PRELOAD" not in (user_venv / "bin" / "activate").read_text()


def test_nothing_to_fix_says_why(cli: Runner, repo: Path) -> None:
    ran = cli("fix", "DD302", cwd=repo)
    assert ran.code == 0 and "Nothing to fix: every rule passes." in ran.out
    (repo / "model.safetensors").write_bytes(b"\0" * 600_000)
    from helpers import git

    git(repo, "add", "model.safetensors")
    ran = cli("fix", "DD303", cwd=repo)
    assert "Nothing devdoctor can apply: the fixes above are yours to run." in ran.out
    assert "git lfs track" in ran.out


PAIR = """
from devdoctor.api import (Applicability, Diagnostic, EnvChange, Fix, FixAvailability, Rule,
                           Scope, Status, persisted_env)

def needs_flag(ctx, settings):
    if ctx.env.get("DDTEST_FLAG"):
        yield Diagnostic(Status.PASS, "flag set")
        return
    fix = Fix("Set the flag", Applicability.SAFE, env=(EnvChange("DDTEST_FLAG", "1"),))
    yield Diagnostic(Status.FAIL, "the flag is not set", fixes=(fix,))

def flag_has_a_cost(ctx, settings):
    if any(c.name == "DDTEST_FLAG" for held in persisted_env(ctx) for c in held.changes):
        yield Diagnostic(Status.WARN, "with the flag set, the old helper misbehaves")
        return
    yield Diagnostic(Status.PASS, "the flag is not in use")

A = Rule("XX916", "needs-flag", "test", Scope.ENVIRONMENT, needs_flag, FixAvailability.ALWAYS)
B = Rule("XX917", "flag-has-a-cost", "test", Scope.ENVIRONMENT, flag_has_a_cost)
"""


def test_a_fix_that_makes_another_rule_relevant_says_so(
    cli: Runner, plugin, user_venv: Path
) -> None:
    env = plugin("pair", PAIR, "pair")
    python = str(user_venv / "bin" / "python")
    ran = cli("fix", "XX916", "--apply", "--python", python, env=env)
    assert ran.code == 0, ran.out + ran.err
    assert "XX917 flag-has-a-cost now warns: with the flag set" in ran.out
    assert "`devdoctor check XX917`" in ran.out
    assert "do not see it: add DDTEST_FLAG=1 to their environment settings" in ran.out


def test_previews_summarise_and_diff_shows_every_line(
    cli: Runner, plugin, user_venv: Path, tmp_path: Path
) -> None:
    env = {**plugin("needs_preload", NEEDS_PRELOAD), "DDTEST_LIB": str(tmp_path / "lib.so")}
    python = str(user_venv / "bin" / "python")
    short = cli("fix", "XX903", "--python", python, env=env)
    assert "/bin/activate (+" in short.out and "+++ b" not in short.out
    shown = printed(short.out, "devdoctor fix", "--diff")
    full = run_printed(cli, shown, env=env)
    assert "+++ b" in full.out and "# >>> devdoctor >>>" in full.out
