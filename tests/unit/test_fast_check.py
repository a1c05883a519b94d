"""`devdoctor check` parses its plain forms without typer: both parsers must read them alike,
and everything else must be left to typer."""

from __future__ import annotations

import pytest
import typer

from devdoctor.cli.app import app
from devdoctor.cli.fast_check import parse

PLAIN = [
    [],
    ["DD101"],
    ["DD101", "git-stale-index-lock"],
    ["--format", "json"],
    ["--format=json", "-v"],
    ["--verbose", "--strict", "DD302"],
    ["--offline", "DD201"],
    ["-q", "--quiet", "DD102"],
    ["--python", "/usr/bin/python3", "DD102"],
    ["--python=/opt/py/bin/python", "--format", "text", "--strict"],
    ["DD101", "--format", "json", "DD302"],  # options between rule names
    ["--format", "jsonl", "--node-name", "node03"],
    ["--node-name=gpu-1.c", "DD102"],
    ["--format", "yaml"],  # a bad value is commands.check's usage error, for both
]
LEFT_TO_TYPER = [
    ["--help"],
    ["-h"],
    ["--format"],  # value missing
    ["--python", "--strict"],  # value missing
    ["--unknown"],
    ["-vv"],
    ["--", "DD101"],
    [""],
]


def typer_params(args: list[str]) -> dict[str, object]:
    command = typer.main.get_command(app).commands["check"]  # type: ignore[attr-defined]
    with command.make_context("check", list(args)) as ctx:
        return dict(ctx.params)


@pytest.mark.parametrize("args", PLAIN, ids=" ".join)
def test_plain_forms_parse_as_typer_parses_them(args: list[str]) -> None:
    parsed = parse(args)
    assert parsed is not None
    expected = typer_params(args)
    assert parsed.rules == list(expected["rules"] or [])
    assert (parsed.python, parsed.format) == (expected["python"], expected["format"])
    assert (parsed.verbose, parsed.strict) == (expected["verbose"], expected["strict"])
    assert (parsed.offline, parsed.quiet) == (expected["offline"], expected["quiet"])
    assert parsed.node_name == expected["node_name"]


@pytest.mark.parametrize("args", LEFT_TO_TYPER, ids=repr)
def test_anything_else_is_left_to_typer(args: list[str]) -> None:
    assert parse(args) is None
