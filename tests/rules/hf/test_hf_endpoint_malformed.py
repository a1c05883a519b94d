"""DD202: malformed HF_ENDPOINT values, corrected and persisted."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import Runner, sh


@pytest.mark.parametrize(
    "value, problem",
    [
        ("https\uff1a//hf-mirror.com", "non-ASCII"),
        ('"https://hf-mirror.com/"', "quotes"),
        (" https://hf-mirror.com", "whitespace"),
        ("hf-mirror.com", "no http:// or https:// scheme"),
        ("https://hf-mirror.com; echo", "trailing junk"),
    ],
)
def test_malformed_values(cli: Runner, value: str, problem: str) -> None:
    result = cli("check", "DD202", "--format", "json", env={"HF_ENDPOINT": value}).json()
    [diag] = result["results"][0]["diagnostics"]
    assert diag["status"] == "fail" and problem in diag["message"]
    assert diag["facts"]["corrected"] == "https://hf-mirror.com"


@pytest.mark.parametrize(
    "value", ["https://hf-mirror.com", "https://hf-mirror.com/", "http://127.0.0.1:8080/hub"]
)
def test_good_values_pass(cli: Runner, value: str) -> None:
    assert cli("check", "DD202", env={"HF_ENDPOINT": value}).code == 0


def test_name_with_a_space_is_caught(cli: Runner) -> None:
    doc = cli(
        "check", "DD202", "--format", "json", env={"HF_ENDPOINT ": " https://hf-mirror.com/"}
    ).json()
    [diag] = doc["results"][0]["diagnostics"]
    assert diag["status"] == "fail" and "'HF_ENDPOINT '" in diag["message"]


def test_corrected_value_is_persisted_in_the_venv(cli: Runner, user_venv: Path) -> None:
    env = {"HF_ENDPOINT": "https\uff1a//hf-mirror.com"}
    ran = cli("fix", "DD202", "--apply", "--python", str(user_venv / "bin" / "python"), env=env)
    assert ran.code == 0, ran.out + ran.err
    assert "takes effect in a new shell/process" in ran.out
    assert sh("bash", f'. {user_venv}/bin/activate; echo "$HF_ENDPOINT"', env) == [
        "https://hf-mirror.com"
    ]


@pytest.mark.parametrize(
    "value, fixed",
    [
        ("https//hf-mirror.com", "https://hf-mirror.com"),
        ("https:/hf-mirror.com/", "https://hf-mirror.com"),
        ("HTTPS://HF-Mirror.com", None),  # well-formed already: nothing to fix
        ("hf mirror please", None),
        ("https://user:pw@", None),
    ],
)
def test_a_safe_fix_only_writes_a_url_that_parses(
    cli: Runner, value: str, fixed: str | None
) -> None:
    from urllib.parse import urlsplit

    result = cli("check", "DD202", "--format", "json", env={"HF_ENDPOINT": value}).json()
    [diag] = result["results"][0]["diagnostics"]
    if diag["status"] == "pass":
        assert fixed is None
        return
    if fixed is None:
        assert diag["fix"]["applicability"] == "display-only"
        return
    assert diag["fix"] == {"title": f"Set HF_ENDPOINT={fixed}", "applicability": "safe"}
    parts = urlsplit(fixed)
    assert parts.scheme == "https" and parts.hostname == "hf-mirror.com"
