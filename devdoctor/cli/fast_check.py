"""`devdoctor check` without the command-line framework: importing typer costs ~27 ms, a quarter
of a whole offline check. Only the plain forms are parsed here — rule names, `-v`/`--verbose`,
`--strict`, `--format X`/`--format=X`, `--python X`/`--python=X`, `--node-name X` — and anything
else (help, an unknown flag, a missing value) goes to typer, so its messages stay the only ones.
A test checks that both parsers read every plain form alike."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class CheckArgs:
    rules: list[str] = field(default_factory=list)
    python: str | None = None
    format: str = "text"
    verbose: bool = False
    strict: bool = False
    offline: bool = False
    quiet: bool = False
    node_name: str | None = None


def parse(args: Sequence[str]) -> CheckArgs | None:
    """The arguments after `check`, or None when typer should parse them."""
    rules: list[str] = []
    values: dict[str, str] = {}
    flags = {"verbose": False, "strict": False, "offline": False, "quiet": False}
    rest = iter(args)
    for arg in rest:
        if arg in ("-v", "--verbose"):
            flags["verbose"] = True
        elif arg in ("-q", "--quiet"):
            flags["quiet"] = True
        elif arg in ("--strict", "--offline"):
            flags[arg[2:]] = True
        elif arg.split("=", 1)[0] in ("--format", "--python", "--node-name"):
            name, eq, value = arg.partition("=")
            if not eq:
                value = next(rest, "")
                if not value or value.startswith("-"):
                    return None
            values[name[2:].replace("-", "_")] = value
        elif arg.startswith("-") or not arg:
            return None
        else:
            rules.append(arg)
    return CheckArgs(
        rules,
        values.get("python"),
        values.get("format", "text"),
        node_name=values.get("node_name"),
        **flags,
    )


def main(args: Sequence[str]) -> int | None:
    """Run `check` if its arguments are plain; None means "let typer do it"."""
    parsed = parse(args)
    if parsed is None:
        return None
    from devdoctor.cli import commands
    from devdoctor.cli.crash import guarded

    return guarded(
        lambda: commands.check(
            parsed.rules,
            parsed.python,
            parsed.format,
            parsed.verbose,
            parsed.strict,
            parsed.offline,
            parsed.quiet,
            parsed.node_name,
        )
    )
