"""What happens when devdoctor itself breaks: the traceback goes to the log file (scrubbed),
the user gets one line and exit code 3."""

from __future__ import annotations

import sys
import tempfile
import time
import traceback
from pathlib import Path

INTERNAL_ERROR = 3


def log_crash(text: str) -> Path:
    """Append a scrubbed traceback to the log file; returns where it went."""
    from devdoctor import paths
    from devdoctor.redact import Redactor

    entry = f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} devdoctor {' '.join(sys.argv[1:])}\n"
    entry += Redactor().text(text)
    for log in (paths.log_file(), Path(tempfile.gettempdir()) / "devdoctor-crash.log"):
        try:
            log.parent.mkdir(parents=True, exist_ok=True)
            with log.open("a", encoding="utf-8") as f:
                f.write(entry)
            return log
        except OSError:
            continue  # the state dir itself may be what is broken
    return log


def internal_error() -> int:
    """Call from an `except Exception:` block: log the traceback, print one line, return 3."""
    log = log_crash(traceback.format_exc())
    kind = sys.exc_info()[0]
    print(
        f"devdoctor: internal error ({kind.__name__ if kind else '?'}); the traceback is in {log}",
        file=sys.stderr,
    )
    return INTERNAL_ERROR
