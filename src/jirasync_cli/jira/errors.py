"""Jira failures as one-line errors carrying the issue key and Jira's own message, never a token."""

from __future__ import annotations

from typing import Any

from jirasync_cli.errors import JirasyncError


class JiraApiError(JirasyncError):
    """Jira answered with an error status."""

    def __init__(
        self,
        status: int | None,
        message: str,
        key: str | None = None,
        operation: str = "",
        field_errors: dict[str, str] | None = None,
    ) -> None:
        where = f" on {key}" if key else ""
        what = f"{operation} failed{where}" if operation else f"Jira request failed{where}"
        code = f"HTTP {status}" if status else "no response"
        super().__init__(f"{what}: {code}: {message}")
        self.status = status
        self.jira_message = message
        self.key = key
        self.operation = operation
        self.field_errors = dict(field_errors or {})  # Jira's "errors": {field: message}


class JiraUnavailable(JiraApiError):
    """No usable answer: connection refused, timeout, or 5xx after retries. The outcome of a write is unknown."""


def message_from_body(body: Any, fallback: str) -> str:
    """Jira's ``{"errorMessages": [...], "errors": {field: msg}}`` as one line."""
    if isinstance(body, dict):
        parts = [str(m) for m in body.get("errorMessages") or []]
        errors = body.get("errors")
        if isinstance(errors, dict):
            parts += [f"{field}: {msg}" for field, msg in errors.items()]
        for key in ("message", "errorMessage"):
            if not parts and body.get(key):
                parts.append(str(body[key]))
        if parts:
            return "; ".join(parts)
    return fallback


def field_errors_of(body: Any) -> dict[str, str]:
    errors = body.get("errors") if isinstance(body, dict) else None
    return {str(k): str(v) for k, v in errors.items()} if isinstance(errors, dict) else {}


def not_on_screen(exc: JiraApiError) -> set[str]:
    """Fields a 400 says cannot be set because they are not on the screen."""
    if exc.status != 400:
        return set()
    return {name for name, msg in exc.field_errors.items() if "cannot be set" in msg}
