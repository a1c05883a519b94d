"""The `devdoctor` executable. `devdoctor run -- CMD` wraps every run of a command, so it skips
the command-line framework's import (~50 ms); everything else goes through the typer app."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) >= 2 and args[0] == "run" and args[1] == "--":
        from devdoctor.cli.run_command import main as run_main

        return run_main(args[2:])
    from devdoctor.cli.app import main as cli_main

    return cli_main(args)
