"""Logging: JSON lines off a terminal (or when asked), readable rich output on one.

Every record carries the ``worker`` it belongs to (the pair name, or ``supervisor``) and
any ``extra={...}`` fields; secrets are redacted at the formatter, the last point every
message passes through.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from jirasync_cli import secrets

_STANDARD_ATTRS = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys() | {"message", "asctime", "worker"}
)
_worker_name = "jirasync"


def set_worker(name: str) -> None:
    global _worker_name
    _worker_name = name


class _SafeRecords(logging.Logger):
    """``extra`` keys that clash with LogRecord attributes (``created``, ``name`` ...) are
    renamed instead of raising: a log line must never take a cycle down."""

    def makeRecord(
        self,
        name: str,
        level: int,
        fn: str,
        lno: int,
        msg: object,
        args: Any,
        exc_info: Any,
        func: str | None = None,
        extra: Mapping[str, object] | None = None,
        sinfo: str | None = None,
    ) -> logging.LogRecord:
        if extra:
            extra = {(f"{k}_" if k in _STANDARD_ATTRS else k): v for k, v in extra.items()}
        return super().makeRecord(name, level, fn, lno, msg, args, exc_info, func, extra, sinfo)


logging.setLoggerClass(_SafeRecords)


class _WorkerFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "worker"):
            record.worker = _worker_name
        return True


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD_ATTRS and not k.startswith("_")}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "worker": getattr(record, "worker", _worker_name),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in _extras(record).items():
            entry.setdefault(key, value)
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return secrets.redact(json.dumps(entry, default=str, ensure_ascii=False))


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        extras = " ".join(f"{k}={v}" for k, v in _extras(record).items())
        text = f"[{getattr(record, 'worker', _worker_name)}] {record.getMessage()}"
        if extras:
            text += f"  {extras}"
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return secrets.redact(text)


TIME_FORMAT = "[%Y-%m-%d %H:%M:%S]"  # ISO 8601 dates, whatever the locale


def configure(
    level: str = "INFO", fmt: str = "auto", worker: str | None = None, stream: Any = None, console: Any = None
) -> None:
    """Install the root handler once per process (re-configuring replaces it).

    ``console``: the rich console text logs go to (default: one on ``stream``); pass the
    console a live progress display uses, so log lines print above it, not through it.
    """
    if worker:
        set_worker(worker)
    stream = stream or (console.file if console is not None else sys.stderr)
    use_json = fmt == "json" or (fmt == "auto" and not getattr(stream, "isatty", lambda: False)())
    if use_json:
        handler: logging.Handler = logging.StreamHandler(stream)
        handler.setFormatter(JsonFormatter())
    else:
        from rich.console import Console
        from rich.logging import RichHandler

        handler = RichHandler(
            console=console or Console(file=stream),
            show_path=False,
            rich_tracebacks=False,
            markup=False,
            log_time_format=TIME_FORMAT,
        )
        handler.setFormatter(TextFormatter())
    handler.addFilter(_WorkerFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_jirasync", False):
            root.removeHandler(old)
    handler._jirasync = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    # The HTTP stack logs request details (and the jira client logs response bodies at
    # DEBUG); keep them at WARNING so a DEBUG run does not dump payloads.
    for noisy in ("urllib3", "requests", "jira", "pymongo"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
