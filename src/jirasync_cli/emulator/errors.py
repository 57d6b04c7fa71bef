"""Errors that become Jira-shaped HTTP responses."""

from __future__ import annotations

from typing import Any


class EmulatorError(Exception):
    """Raised by the Python API when an action is not possible (e.g. a forbidden transition)."""


class ApiError(EmulatorError):
    """A Jira error response: ``{"errorMessages": [...], "errors": {field: message}}``."""

    def __init__(
        self,
        status: int,
        messages: list[str] | str | None = None,
        errors: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        if isinstance(messages, str):
            messages = [messages]
        self.status = status
        self.messages = list(messages or [])
        self.errors = dict(errors or {})
        self.headers = dict(headers or {})
        super().__init__("; ".join(self.messages + [f"{k}: {v}" for k, v in self.errors.items()]) or str(status))

    def body(self) -> dict[str, Any]:
        return {"errorMessages": self.messages, "errors": self.errors}


def not_found_issue() -> ApiError:
    return ApiError(404, "Issue does not exist or you do not have permission to see it.")
