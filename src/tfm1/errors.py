"""The one error type commands raise for a user-facing failure, and the exit codes tfm1 promises."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1  # the command ran and found or hit a problem (doctor errors, a failed check, a failed install)
    USAGE = 2  # bad arguments or unreadable input: nothing was attempted
    INTERRUPTED = 130  # Ctrl-C, as shells report SIGINT


class Tfm1Error(Exception):
    """A failure the user can act on: one line saying what went wrong, one saying how to fix it."""

    def __init__(self, message: str, fix: str = "", exit_code: ExitCode = ExitCode.FAILED) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix
        self.exit_code = exit_code

    def __str__(self) -> str:
        return f"{self.message} (fix: {self.fix})" if self.fix else self.message


class UsageError(Tfm1Error):
    def __init__(self, message: str, fix: str = "") -> None:
        super().__init__(message, fix, ExitCode.USAGE)
