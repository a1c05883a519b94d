"""The command-line contract: exit codes, JSON purity, help, usage errors."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import Runner, stale_lock

CRASHING = """
from devdoctor.api import Rule, Scope
def check(ctx, settings):
    raise RuntimeError("boom in plugin")
RULE = Rule("XX901", "crashing-rule", "always crashes", Scope.ENVIRONMENT, check)
"""

SLEEPING = """
import subprocess
import sys
import time
from devdoctor.api import Rule, Scope, Diagnostic, Status
def check(ctx, settings):
    while True:
        time.sleep(1)
    yield Diagnostic(Status.PASS, "never")
RULE = Rule("XX902", "sleeping-rule", "never ends", Scope.ENVIRONMENT, check)
"""


def test_clean_check_exits_0(cli: Runner, repo: Path) -> None:
    ran = cli("check", cwd=repo)
    assert ran.code == 0, ran.err
    assert "✓ DD302 git-stale-index-lock" in ran.out
    assert "✓ DD102 stale-ld-preload" in ran.out


def test_failing_rule_exits_1(cli: Runner, repo: Path) -> None:
    stale_lock(repo / ".git" / "index.lock")
    ran = cli("check", "DD302", cwd=repo)
    assert ran.code == 1
    assert "✗ DD302" in ran.out and "fix (safe): Remove the stale index.lock" in ran.out


@pytest.mark.parametrize(
    "args",
    [
        ("check", "DD999"),
        ("check", "no-such-rule"),
        ("check", "--bogus"),
        ("check", "--format", "xml"),
        ("explain", "DD000"),
        ("fix", "--target", "nowhere"),
        ("check", "--python", "/no/such/python"),
    ],
)
def test_usage_errors_exit_2_with_one_line(cli: Runner, args: tuple[str, ...]) -> None:
    ran = cli(*args)
    assert ran.code == 2, (ran.out, ran.err)
    assert len(ran.err.strip().splitlines()) == 1
    assert "Traceback" not in ran.err + ran.out


def test_malformed_config_exits_2(cli: Runner, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.devdoctor]\nselect = [\n")
    ran = cli("check")
    assert ran.code == 2
    assert "malformed TOML" in ran.err and "Traceback" not in ran.err


def test_unknown_setting_exits_2(cli: Runner, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.devdoctor]\ntimout = 3\n")
    ran = cli("check")
    assert ran.code == 2 and "unknown setting 'timout'" in ran.err


def test_crashing_rule_is_contained_and_exits_3(cli: Runner, plugin, isolated: Path) -> None:
    env = plugin("crasher", CRASHING)
    ran = cli("check", env=env)
    assert ran.code == 3
    assert "☠ XX901 crashing-rule: rule crashed: RuntimeError: boom in plugin" in ran.out
    assert "✓ DD102" in ran.out  # the others still ran
    assert "Traceback" not in ran.out + ran.err
    log = isolated / ".state" / "devdoctor" / "devdoctor.log"
    assert "Traceback" in log.read_text() and "boom in plugin" in log.read_text()


def test_hanging_rule_is_cut_off_at_the_limit(cli: Runner, plugin) -> None:
    env = plugin("sleeper", SLEEPING)
    start = time.monotonic()
    ran = cli("check", "--format", "json", env={**env, "DEVDOCTOR_TIMEOUT": "2"})
    elapsed = time.monotonic() - start
    assert ran.code == 3
    result = next(r for r in ran.json()["results"] if r["code"] == "XX902")
    assert result["status"] == "error"
    assert "timed out after 2 s" in result["diagnostics"][0]["message"]
    # the limit plus a second, plus the interpreter's own start-up
    assert elapsed < 2 + 1 + 2.5


def test_broken_plugin_is_reported_and_others_run(cli: Runner, plugin) -> None:
    env = plugin("broken", "import no_such_module_anywhere\n")
    ran = cli("check", "--format", "json", env=env)
    assert ran.code == 3
    results = ran.json()["results"]
    broken = [r for r in results if r["code"] == "plugin"]
    assert broken and "ModuleNotFoundError" in broken[0]["diagnostics"][0]["message"]
    assert {r["code"] for r in results} >= {"DD102", "DD302"}
    listed = cli("rules", env=env)
    assert "broken plugin broken" in listed.out and listed.code == 0


def test_plugin_with_a_taken_code_is_rejected(cli: Runner, plugin) -> None:
    env = plugin(
        "clash",
        """
from devdoctor.api import Rule, Scope
RULE = Rule("DD302", "my-lock-rule", "clash", Scope.ENVIRONMENT, lambda ctx, s: [])
""",
    )
    ran = cli("rules", "--format", "json", env=env)
    doc = ran.json()
    assert [r["name"] for r in doc["rules"] if r["code"] == "DD302"] == ["git-stale-index-lock"]
    assert "clashes with DD302" in doc["broken_plugins"][0]["reason"]


def test_json_is_one_document_and_nothing_else(cli: Runner, repo: Path) -> None:
    stale_lock(repo / ".git" / "index.lock", b"x")
    ran = cli("check", "--format", "json", cwd=repo)
    doc = ran.json()  # raises if anything else is on stdout
    assert next(iter(doc)) == "schema_version" and doc["schema_version"] == 1
    lock = next(r for r in doc["results"] if r["code"] == "DD302")
    assert lock["name"] == "git-stale-index-lock" and lock["status"] == "fail"
    assert isinstance(lock["duration_ms"], int)
    assert lock["diagnostics"][0]["fix"] == {
        "title": "Remove the stale index.lock",
        "applicability": "safe",
    }
    assert doc["target"]["version"] and doc["target"]["python"]


def test_rules_json_lists_every_rule(cli: Runner) -> None:
    rules = cli("rules", "--format", "json").json()["rules"]
    assert {"code", "name", "scope", "fixable", "summary"} <= set(rules[0])
    assert [r["code"] for r in rules] == sorted(r["code"] for r in rules)


def test_strict_fails_on_skip(cli: Runner, tmp_path: Path) -> None:
    assert cli("check", "DD302").code == 0  # not a repo: skip
    assert cli("check", "DD302", "--strict").code == 1


@pytest.mark.parametrize("command", ["check", "fix", "undo", "rules", "explain", "diagnose"])
def test_help_on_every_command(cli: Runner, command: str) -> None:
    ran = cli(command, "--help")
    assert ran.code == 0 and "Usage" in ran.out


def test_rule_by_code_or_name(cli: Runner, repo: Path) -> None:
    by_code = cli("check", "dd302", "--format", "json", cwd=repo).json()["results"]
    by_name = cli("check", "git-stale-index-lock", "--format", "json", cwd=repo).json()["results"]
    assert [r["code"] for r in by_code] == [r["code"] for r in by_name] == ["DD302"]


def test_explain_prints_the_sections(cli: Runner) -> None:
    ran = cli("explain", "stale-ld-preload")
    for section in ("## What it does", "## Why is this bad?", "## Fix", "## Fix safety"):
        assert section in ran.out
    assert "goes stale silently" in ran.out


def test_no_color_and_no_tty_means_plain_text(cli: Runner, repo: Path) -> None:
    ran = cli("check", cwd=repo, env={"NO_COLOR": "1"})
    assert "\x1b[" not in ran.out


BAD_YIELD = """
from devdoctor.api import Rule, Scope
RULE = Rule("XX914", "bad-yield", "yields what is not a Diagnostic", Scope.ENVIRONMENT,
            lambda ctx, settings: [object()])
"""


def test_internal_error_exits_3_with_log(cli: Runner, plugin, isolated: Path) -> None:
    ran = cli("check", "XX914", env=plugin("badyield", BAD_YIELD))
    assert ran.code == 3
    assert len(ran.err.strip().splitlines()) == 1 and "Traceback" not in ran.err
    assert "Traceback" in (isolated / ".state" / "devdoctor" / "devdoctor.log").read_text()


def test_config_select_ignore_and_note(cli: Runner, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.devdoctor]\nselect = ["DD101", "DD102", "DD302"]\n'
        'ignore = [{rule = "DD302", reason = "no git here"}, "DD777", "static-tls"]\n'
    )
    doc = cli("check", "--format", "json").json()
    assert [r["code"] for r in doc["results"]] == ["DD102"]
    assert any("DD777" in note for note in doc["notes"])
    env_doc = cli("check", "--format", "json", env={"DEVDOCTOR_IGNORE": "DD102"}).json()
    assert env_doc["results"] == []  # the environment adds to the project's ignores
    # the command line beats config and environment
    cli_doc = cli("check", "DD302", "--format", "json").json()
    assert [r["code"] for r in cli_doc["results"]] == ["DD302"]


UNSAFE = """
from dataclasses import dataclass
from pathlib import Path
from devdoctor.api import Applicability, Diagnostic, FileEdit, Fix, FixAvailability, Rule, Scope, Status

@dataclass(frozen=True)
class Settings:
    marker: str = "marker.txt"

def check(ctx, settings):
    path = ctx.cwd / settings.marker
    if path.exists():
        yield Diagnostic(Status.PASS, "marker present")
        return
    fix = Fix("Create the marker", Applicability.UNSAFE, (FileEdit.write(path, "made\\n"),))
    yield Diagnostic(Status.FAIL, f"{settings.marker} is missing", fixes=(fix,))

RULE = Rule("XX906", "needs-marker", "test rule", Scope.REPOSITORY, check, fix_availability=FixAvailability.ALWAYS,
            settings=Settings)
"""


def test_unsafe_fixes_need_opt_in_and_confirmation(cli: Runner, plugin, tmp_path: Path) -> None:
    env = plugin("unsafe", UNSAFE)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.devdoctor.rules.needs-marker]\nmarker = "custom.txt"\n'
    )
    marker = tmp_path / "custom.txt"
    ran = cli("fix", "--apply", env=env)  # not opted in: shown, not applied
    assert ran.code == 1 and "not applied (unsafe or display-only)" in ran.out
    assert not marker.exists()
    ran = cli("fix", "--apply", "--unsafe-fixes", env=env)  # opted in, no TTY, no --yes
    assert ran.code == 1 and "needs a confirmation" in ran.err
    assert not marker.exists()
    ran = cli("fix", "XX906", "--apply", "--yes", env=env)  # naming the rule opts in
    assert ran.code == 0 and "XX906 Create the marker: fixed" in ran.out
    assert marker.read_text() == "made\n"


def test_bad_rule_setting_is_a_usage_error(cli: Runner, plugin, tmp_path: Path) -> None:
    env = plugin("unsafe", UNSAFE)
    (tmp_path / "pyproject.toml").write_text("[tool.devdoctor.rules.needs-marker]\nmarker = 3\n")
    ran = cli("check", env=env)
    assert ran.code == 2 and "marker must be str" in ran.err


def test_naming_rules_imports_only_their_modules(cli: Runner, repo: Path) -> None:
    code = (
        "import sys\nfrom devdoctor.core.registry import load\nreg = load(['DD302'])\n"
        "print(sorted(r.code for r in reg.rules if r.code.startswith('DD')))\n"
        "print('devdoctor.rules.native.static_tls' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split("\n")
    assert out[:2] == ["['DD302']", "False"]
    assert cli("check", "git-stale-index-lock", cwd=repo).code == 0  # by name too


LEAKY_PIPE = """
from devdoctor.api import Diagnostic, Rule, Scope, Status
def check(ctx, settings):
    yield Diagnostic(Status.FAIL, "proxy " + ctx.env["HTTPS_PROXY"] + " | broke", {})
RULE = Rule("XX915", "leaky-pipe", "test rule", Scope.ENVIRONMENT, check)
"""


def test_markdown_report_for_a_bug_tracker(cli: Runner, plugin, user_venv: Path) -> None:
    env = {**plugin("leakypipe", LEAKY_PIPE), "HTTPS_PROXY": "http://bob:hunter2pw@proxy:3128"}
    python = str(user_venv / "bin" / "python")
    ran = cli("check", "XX915", "DD102", "--format", "markdown", "--python", python, env=env)
    assert ran.code == 1
    assert ran.out.startswith("### devdoctor ")
    assert f"| prefix | {user_venv} |" in ran.out
    assert "| XX915 leaky-pipe | ✗ fail | proxy http://bob:***@proxy:3128 \\| broke |" in ran.out
    assert "| DD102 stale-ld-preload | ✓ pass |" in ran.out
    assert "hunter2pw" not in ran.out


LONG = """
from devdoctor.api import Diagnostic, Rule, Scope, Status
def check(ctx, settings):
    yield Diagnostic(Status.WARN, "a message long enough to need a second line on a narrow "
                     "terminal, and a third one too, with words to spare for the wrapping")
RULE = Rule("XX918", "long-message", "test", Scope.ENVIRONMENT, check)
"""


def test_lines_wrap_at_the_terminal_width_with_a_hanging_indent(
    cli: Runner, plugin, tmp_path: Path
) -> None:
    import re

    env = plugin("longmessage", LONG)
    ran = cli("check", "XX918", cwd=tmp_path, env={**env, "FORCE_COLOR": "1", "COLUMNS": "60"})
    plain = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in ran.out.splitlines()]
    assert all(len(line) <= 60 for line in plain), plain
    body = [line for line in plain if line.startswith("    ")]
    assert len(body) >= 2 and "words to spare" in body[-1], plain  # indented continuation
    piped = cli("check", "XX918", cwd=tmp_path, env={**env, "COLUMNS": "60"})
    assert any(len(line) > 60 for line in piped.out.splitlines())  # logs keep whole lines
