"""What happens when devdoctor itself breaks: the traceback goes to the log file (scrubbed),
the user gets one line and exit code 3."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

from devdoctor.errors import DevdoctorError

INTERNAL_ERROR = 3


def log_crash(text: str) -> Path:
    """Append a scrubbed traceback to the log file; returns where it went."""
    import tempfile
    import time

    from devdoctor import paths
    from devdoctor.private import append_private
    from devdoctor.redact import Redactor

    entry = f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} devdoctor {' '.join(sys.argv[1:])}\n"
    entry = Redactor().text(entry + text)
    log = paths.log_file()
    try:
        append_private(log, entry)
        return log
    except OSError:  # the state dir itself may be what is broken: a private file of our own
        fd, name = tempfile.mkstemp(prefix="devdoctor-crash-", suffix=".log")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(entry)
        return Path(name)


def internal_error() -> int:
    """Call from an `except Exception:` block: log the traceback, print one line, return 3."""
    import traceback

    log = log_crash(traceback.format_exc())
    kind = sys.exc_info()[0]
    print(
        f"devdoctor: internal error ({kind.__name__ if kind else '?'}); the traceback is in {log}",
        file=sys.stderr,
    )
    return INTERNAL_ERROR


def one_line(message: str) -> str:
    return " ".join(message.split())


def scrubbed(message: str) -> str:
    """Errors quote what the user gave (a config value, a path, a URL): no secret in them."""
    from devdoctor.redact import Redactor

    return Redactor().text(message)


def guarded(command: Callable[[], int]) -> int:
    """Run a command with the contract every command keeps: an expected error is one line and
    its exit code, Ctrl-C is 130, anything else is an internal error (exit 3, traceback logged)."""
    try:
        return command()
    except DevdoctorError as exc:
        print(f"devdoctor: {scrubbed(one_line(str(exc)))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("devdoctor: interrupted", file=sys.stderr)
        return 130
    except Exception:
        return internal_error()
