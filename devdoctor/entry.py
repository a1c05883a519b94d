"""The `devdoctor` executable. `devdoctor run -- CMD` wraps every run of a command and `devdoctor
check` is the command people time, so both skip the command-line framework's import (~27 ms)
when their arguments are plain; everything else goes through the typer app."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) >= 2 and args[0] == "run" and args[1] == "--":
        from devdoctor.cli.run_command import main as run_main

        return run_main(args[2:])
    if args[:1] == ["check"]:
        from devdoctor.cli import fast_check

        code = fast_check.main(args[1:])
        if code is not None:
            return code
    from devdoctor.cli.app import main as cli_main

    return cli_main(args)
