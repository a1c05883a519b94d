"""No secret in any output: text, JSON, or the crash log."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import Runner

from devdoctor.redact import Redactor, strip_controls

TOKEN = "hf_" + "aBcDeFgHiJkLmNoPqRsTuVwXyZ01234567"
PASSWORD = "s3cr3t-Pa55"
PROXY = f"http://alice:{PASSWORD}@proxy.example:3128"

LEAKY = """
import os
from devdoctor.api import Diagnostic, Rule, Scope, Status
def check(ctx, settings):
    env = ctx.env
    yield Diagnostic(Status.FAIL, "token " + env["HF_TOKEN"] + " via " + env["HTTPS_PROXY"],
                     {"proxy": env["HTTPS_PROXY"], "token": env["HF_TOKEN"],
                      "api_key_used": env["MY_API_KEY"], "pasted": "HF_TOKEN=" + env["HF_TOKEN"]})
def crash(ctx, settings):
    raise ValueError("cannot use " + ctx.env["MY_API_KEY"] + " with " + ctx.env["HTTPS_PROXY"])
RULE = Rule("XX904", "leaky-rule", "leaks", Scope.ENVIRONMENT, check)
CRASH = Rule("XX905", "leaky-crash", "leaks in a crash", Scope.ENVIRONMENT, crash)
"""


def test_secrets_never_reach_text_json_or_log(cli: Runner, plugin, isolated: Path) -> None:
    env = {
        **plugin("leaky", LEAKY, "leaky"),
        "HF_TOKEN": TOKEN,
        "HTTPS_PROXY": PROXY,
        "MY_API_KEY": "key-9f8e7d6c5b",
    }
    outputs = []
    for fmt in ("text", "json"):
        ran = cli("check", "-v", "--format", fmt, env=env)
        assert ran.code == 3
        outputs.append(ran.out + ran.err)
    doc = cli("check", "--format", "json", env=env).json()
    leaky = next(r for r in doc["results"] if r["code"] == "XX904")
    assert "alice:***@proxy.example" in leaky["diagnostics"][0]["message"]
    log = (isolated / ".state" / "devdoctor" / "devdoctor.log").read_text()
    assert "ValueError" in log
    for text in [*outputs, log]:
        assert TOKEN not in text and PASSWORD not in text and "key-9f8e7d6c5b" not in text


def test_redactor_patterns() -> None:
    r = Redactor({"MY_SECRET": "topsecretvalue", "PATH": "/usr/bin", "SHORT_KEY": "ab"})
    assert r.text(f"use {TOKEN} now") == "use *** now"
    assert r.text("api_org_" + "x" * 34) == "***"
    assert r.text("https://bob:pw123@host/x") == "https://bob:***@host/x"
    assert r.text("value topsecretvalue here") == "value *** here"
    assert r.text("export AWS_SECRET_ACCESS_KEY=abcd1234efgh") == "export AWS_SECRET_ACCESS_KEY=***"
    assert r.text("/usr/bin and ab stay") == "/usr/bin and ab stay"
    assert r.data({"token": "abcdef", "nested": [f"x {TOKEN}"]}) == {
        "token": "***",
        "nested": ["x ***"],
    }


SHAPES = [
    ("proxy=alice:s3cr3t@proxy.corp:3128", "proxy=alice:***@proxy.corp:3128"),
    ("http://alice:pa/ss@word@proxy.example:3128/", "http://alice:***@proxy.example:3128/"),
    ("socks5h://u:p4ss@127.0.0.1:1080", "socks5h://u:***@127.0.0.1:1080"),
    (f"https://{TOKEN}@huggingface.co/x", "https://***@huggingface.co/x"),
    ("https://ghp0123456789abcdefghij@github.com/o/r.git", "https://***@github.com/o/r.git"),
    ("GET /api?password=hunter22&q=1", "GET /api?password=***&q=1"),
    ("url?access_token=abc123def&x=1", "url?access_token=***&x=1"),
    ("X-Api-Key: abcdef123456", "X-Api-Key: ***"),
    ("Authorization: Bearer eyJhbGciOi.x", "Authorization: ***"),
    (f"NAME_{TOKEN}", "NAME_***"),
    # left alone: no secret in them
    ("git@github.com:org/repo.git", "git@github.com:org/repo.git"),
    (
        "at 12:30:45 on 10.0.0.1:8080 mail me@example.com",
        "at 12:30:45 on 10.0.0.1:8080 mail me@example.com",
    ),
]


@pytest.mark.parametrize("raw, shown", SHAPES, ids=[s[0][:30] for s in SHAPES])
def test_the_shapes_secrets_come_in(raw: str, shown: str) -> None:
    assert Redactor({}).text(raw) == shown


def test_terminal_control_is_stripped() -> None:
    hostile = (
        "\x1b[2J\x1b]0;pwned\x07a\x1b]52;c;Zm9v\x07b\x1bP1$r\x1b\\c\x1b#8d\re\x9b31mf\u202eg\n\th"
    )
    assert strip_controls(hostile) == "abcdefg\n\th"


def test_scrubbing_is_linear() -> None:
    """A server answering a 64 KB status line must not stall the rule that prints it."""
    import time

    def seconds(n: int) -> float:
        texts = ["A" * n, "a" * n + ":", ("ab:" * n)[:n], ("x@" * n)[:n], "TOKEN" * (n // 5)]
        start = time.perf_counter()
        for text in texts:
            Redactor({}).text(text)
        return time.perf_counter() - start

    small, big = seconds(16_384), seconds(262_144)  # 16x the text
    assert big < 40 * small + 0.05  # quadratic would be ~256x


LEAKS_EVERYWHERE = """
from devdoctor.api import Diagnostic, Rule, Scope, Status
def check(ctx, settings):
    yield Diagnostic(Status.FAIL, "proxy " + ctx.env["HTTPS_PROXY"] + " \\x1b]52;c;cHduZWQ=\\x07",
                     {"proxy": ctx.env["HTTPS_PROXY"], "esc": "\\x1b[2J\\x1b]0;title\\x07"})
RULE = Rule("XX913", "leaks-everywhere", "leaks", Scope.ENVIRONMENT, check)
"""


def written_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def test_no_secret_or_escape_in_any_output_or_file(cli: Runner, plugin, isolated: Path) -> None:
    env = {
        **plugin("leaks", LEAKS_EVERYWHERE, "leaks"),
        "HTTPS_PROXY": "alice:s3cr3tpw@proxy.corp:3128",
    }
    (isolated / "project").mkdir()
    (isolated / "project" / "pyproject.toml").write_text(
        '[tool.devdoctor]\ntimeout = "https://bob:hunter2pw@x.example"\n'
    )
    runs = [
        cli("check", "-v", "XX913", env=env),
        cli("check", "--format", "json", "XX913", env=env),
        cli("check", cwd=isolated / "project", env=env),  # usage error quoting the value
        cli(
            "run",
            "--",
            "sh",
            "-c",
            f"echo {TOKEN}; echo \"fatal: Unable to create '/x/.git/index.lock': File exists.\"; "
            "exit 3",
            TOKEN,  # in argv too: the failure header quotes the command
            env=env,
        ),
        cli(
            "diagnose",
            "-",
            stdin=f"\x1b#8\x1bP1$r\x1b\\fatal: Unable to create '/r/.git/index.lock': File exists. {TOKEN}\n",
        ),
    ]
    for ran in runs:
        # `run` relays the command's own output untouched: only what devdoctor adds counts
        text = ran.err if ran is runs[3] else ran.out + ran.err
        for secret in ("s3cr3tpw", "hunter2pw", TOKEN):
            assert secret not in text, text
        assert "\x1b" not in text and "\x07" not in text, repr(text)
    assert runs[2].code == 2 and "bob:***@x.example" in runs[2].err
    assert "known problems in its output" in runs[3].err and runs[3].code == 3
    files = written_files(isolated / ".state") + written_files(isolated / ".cache")
    assert any(p.name == "last-run.log" for p in files)
    for path in files:
        data = path.read_bytes()
        for secret in (b"s3cr3tpw", b"hunter2pw", TOKEN.encode()):
            assert secret not in data, path
        assert path.stat().st_mode & 0o077 == 0, f"{path} is {oct(path.stat().st_mode)}"
