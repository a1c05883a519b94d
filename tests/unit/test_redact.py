"""No secret in any output: text, JSON, or the crash log."""

from __future__ import annotations

from pathlib import Path

from helpers import Runner

from devdoctor.redact import Redactor

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
