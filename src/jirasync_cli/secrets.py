"""A process-wide registry of secret values, so every output path can redact them.

Config loading registers each API token it sees; log formatting, error messages and CLI
output pass text through :func:`redact`. Masking at the sinks is what makes the
"never printed" promise hold even for messages we did not anticipate (a library's
exception text that echoes a header, say).
"""

from __future__ import annotations

import threading

MASK = "***"
_MIN_LENGTH = 4  # too-short values would mask ordinary words
_lock = threading.Lock()
_secrets: set[str] = set()


def register(value: str | None) -> None:
    if value and len(value) >= _MIN_LENGTH:
        with _lock:
            _secrets.add(value)


def redact(text: str) -> str:
    if not _secrets or not text:
        return text
    with _lock:
        values = sorted(_secrets, key=len, reverse=True)
    for value in values:
        if value in text:
            text = text.replace(value, MASK)
    return text
