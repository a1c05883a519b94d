"""The errors that end a command with a clear line instead of a traceback."""

from __future__ import annotations


class DevdoctorError(Exception):
    """Expected failure: one line for the user, and this exit code."""

    exit_code = 1


class UsageError(DevdoctorError):
    """Unknown rule, bad option, malformed config."""

    exit_code = 2


class CommandNotRun(DevdoctorError):
    """`devdoctor run -- CMD` could not start CMD: exit codes as shells give them."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code
