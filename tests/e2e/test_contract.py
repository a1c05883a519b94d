"""Promises of the CLI contract that the layout work made explicit: alternatives that do not
exist, settings reaching fixes from logs, `run`'s crash contract, rule-declared fix flags, and
fix availability kept honest."""

from __future__ import annotations

from pathlib import Path

from helpers import Runner, stale_lock

LOG_RULE = """
from dataclasses import dataclass
from devdoctor.api import Applicability, Fix, FixAvailability, Rule, Scope, Signature, setting

@dataclass(frozen=True)
class Settings:
    mirror: str = setting("https://default.example", "where to point")

def fix_from_log(ctx, facts, settings):
    return Fix(f"Point at {settings.mirror}", Applicability.DISPLAY_ONLY, instructions="x")

RULE = Rule("XX910", "log-rule", "test rule", Scope.ENVIRONMENT, lambda ctx, s: [],
            FixAvailability.NEVER, (Signature("xx910 broke", "xx910 broke", "it broke"),),
            settings=Settings, fix_from_log=fix_from_log)
"""

CRASHING_LOG_RULE = """
from devdoctor.api import Rule, Scope, Signature

def fix_from_log(ctx, facts, settings):
    return object()  # not a Fix: rendering the diagnosis fails inside devdoctor

RULE = Rule("XX911", "crash-rule", "test rule", Scope.ENVIRONMENT, lambda ctx, s: [],
            signatures=(Signature("xx911 broke", "xx911 broke", "it broke"),),
            fix_from_log=fix_from_log)
"""

LYING_RULE = """
from devdoctor.api import (Applicability, Diagnostic, Fix, FixAvailability, Rule, Scope,
                           Status, FileEdit)

def check(ctx, settings):
    fix = Fix("Write a file", Applicability.SAFE, (FileEdit.write(ctx.cwd / "x", "y"),))
    yield Diagnostic(Status.FAIL, "wrong", fixes=(fix,))

RULE = Rule("XX912", "lying-rule", "test rule", Scope.ENVIRONMENT, check, FixAvailability.NEVER)
"""


def test_an_alternative_that_does_not_exist_is_a_usage_error(cli: Runner, repo: Path) -> None:
    lock = repo / ".git" / "index.lock"
    stale_lock(lock)
    for extra in ((), ("--apply",)):
        ran = cli("fix", "DD302", "--alternative", "5", *extra, cwd=repo)
        assert ran.code == 2, ran.out + ran.err
        assert ran.err.strip().count("\n") == 0
        assert "--alternative 5: DD302 offers no alternative" in ran.err
        assert lock.exists()  # nothing applied, not even the default fix


def test_fix_from_log_gets_the_rules_settings(cli: Runner, plugin, tmp_path: Path) -> None:
    env = plugin("logrule", LOG_RULE)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.devdoctor.rules.log-rule]\nmirror = "https://configured.example"\n'
    )
    ran = cli("diagnose", "-", "--format", "json", stdin="xx910 broke\n", env=env)
    assert ran.code == 1
    [match] = ran.json()["matches"]
    assert match["fix"]["title"] == "Point at https://configured.example"


def test_run_crash_is_exit_3_with_the_traceback_in_the_log(
    cli: Runner, plugin, isolated: Path
) -> None:
    env = plugin("crashrule", CRASHING_LOG_RULE)
    ran = cli("run", "--", "sh", "-c", "echo xx911 broke; exit 4", env=env)
    assert ran.code == 3, ran.out + ran.err
    assert "Traceback" not in ran.err
    assert "devdoctor: internal error (AttributeError); the traceback is in" in ran.err
    log = isolated / ".state" / "devdoctor" / "devdoctor.log"
    assert "Traceback" in log.read_text()


def test_a_command_that_cannot_execute_is_a_usage_error(cli: Runner, tmp_path: Path) -> None:
    script = tmp_path / "not-a-program"
    script.write_bytes(b"\x7fELF garbage")
    script.chmod(0o755)
    ran = cli("run", "--", str(script))
    assert ran.code == 126 and "cannot run" in ran.err and "Traceback" not in ran.err
    missing = cli("run", "--", "no-such-command-anywhere")
    assert missing.code == 127 and "command not found" in missing.err  # as shells say it


def test_usage_errors_exit_2_everywhere(cli: Runner, repo: Path) -> None:
    for args in (
        ("hook", "install", "--stage", "bad"),
        ("hook", "uninstall", "--stage", "bad"),
        ("check", "--format", "yaml"),
        ("check", "DD999"),
        ("explain", "nope"),
        ("fix", "--target", "nowhere"),
    ):
        ran = cli(*args, cwd=repo)
        assert ran.code == 2, (args, ran.out, ran.err)
        assert ran.err.count("\n") == 1 and "Traceback" not in ran.err


def test_rule_fix_options_are_fix_flags(cli: Runner) -> None:
    ran = cli("fix", "--help", env={"COLUMNS": "200"})
    assert ran.code == 0
    for flag in ("--message", "--push", "--unpushed-only"):
        assert flag in ran.out
    assert "DD301: push the rewritten branch" in ran.out
    unknown = cli("check", "--push")
    assert unknown.code == 2  # only `fix` has them


def test_a_rule_that_breaks_its_fix_availability_is_an_error(
    cli: Runner, plugin, tmp_path: Path
) -> None:
    env = plugin("lying", LYING_RULE)
    ran = cli("check", "XX912", "--format", "json", env=env)
    assert ran.code == 3
    [result] = ran.json()["results"]
    assert result["status"] == "error"
    assert "declares fix_availability NEVER" in result["diagnostics"][0]["message"]
    listed = cli("rules", "--format", "json", env=env).json()["rules"]
    assert next(r for r in listed if r["code"] == "XX912")["fix_availability"] == "never"


def test_explain_shows_generated_settings_and_fix_options(cli: Runner) -> None:
    ran = cli("explain", "git-messy-history")
    assert ran.code == 0
    assert ran.out.startswith(
        "DD301 git-messy-history (Git repository; repository; fix: sometimes)"
    )
    assert "## Settings" in ran.out and "`fail_commits` (int, default 20)" in ran.out
    assert "## Fix options" in ran.out and "`--unpushed-only` (bool, default false)" in ran.out
    static = cli("explain", "DD101").out
    assert "`child_timeout` (float, default 60.0)" in static


def test_rules_by_snake_case_prefix_and_a_suggestion(cli: Runner, repo: Path) -> None:
    snake = cli("check", "git_stale_index_lock", "--format", "json", cwd=repo).json()
    assert [r["code"] for r in snake["results"]] == ["DD302"]
    family = cli("check", "DD3", "--format", "json", cwd=repo).json()
    assert {r["code"] for r in family["results"]} == {f"DD30{n}" for n in range(1, 9)}
    typo = cli("explain", "git-stale-lok")
    assert typo.code == 2 and "did you mean git-stale-index-lock?" in typo.err
    (repo / "pyproject.toml").write_text(
        '[tool.devdoctor]\nignore = ["DD2", "DD1", "DD4", "DD5"]\n'
    )
    left = cli("check", "--format", "json", cwd=repo).json()
    assert {r["code"][:3] for r in left["results"]} == {"DD3"}


def test_cli_manners(cli: Runner, repo: Path) -> None:
    assert cli("--version").out.startswith("devdoctor ")
    helped = cli("--help", env={"COLUMNS": "120"})
    assert "Examples:" in helped.out and "devdoctor run -- python train.py" in helped.out
    assert "[text|json|jsonl|markdown]" in cli("check", "--help", env={"COLUMNS": "120"}).out
    quiet = cli("check", "-q", "--offline", "DD102", "DD302", cwd=repo)
    assert quiet.code == 0 and "✓" not in quiet.out and "examining" not in quiet.out
    assert quiet.out.strip() == "2 pass"


def test_ignored_rules_are_counted_with_their_reason(cli: Runner, repo: Path) -> None:
    (repo / "pyproject.toml").write_text(
        '[tool.devdoctor]\nignore = [{rule = "DD201", reason = "offline box"}, "DD1"]\n'
    )
    ran = cli("check", cwd=repo)
    family = len(
        [r for r in cli("rules", "--format", "json").json()["rules"] if r["code"].startswith("DD1")]
    )
    assert f"{family + 1} ignored: DD201 — offline box; DD1 ({family} rules)" in ran.out


def test_explain_renders_markdown_on_a_terminal(cli: Runner) -> None:
    piped = cli("explain", "DD302")
    assert "## What it does" in piped.out  # Markdown as written, for pipes and files
    on_terminal = cli("explain", "DD302", env={"FORCE_COLOR": "1", "COLUMNS": "80"})
    assert "## What it does" not in on_terminal.out and "What it does" in on_terminal.out
