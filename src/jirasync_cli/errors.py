"""The error type every user-facing failure is raised as: one line, no traceback."""

from __future__ import annotations

from jirasync_cli import secrets


class JirasyncError(Exception):
    """A failure to report to the user as one line (secrets redacted) with an exit code."""

    exit_code = 1

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code

    def __str__(self) -> str:
        return " ".join(secrets.redact(super().__str__()).split())
