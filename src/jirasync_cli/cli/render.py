"""Rich and JSON rendering shared by the CLI commands."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from rich.console import Console
from rich.markup import escape

from jirasync_cli import secrets


def _piped_width() -> int | None:
    """Off a terminal, tables are not cut to 80 columns (``state show | grep`` must find
    the row); COLUMNS, when set, still rules."""
    if os.environ.get("COLUMNS") or sys.stdout.isatty():
        return None
    return 1000


console = Console(highlight=False, width=_piped_width())
err_console = Console(stderr=True, highlight=False)


def print_json(data: Any) -> None:
    """Machine-readable output: plain JSON on stdout, secrets redacted."""
    sys.stdout.write(secrets.redact(json.dumps(data, indent=2, default=str, ensure_ascii=False)) + "\n")
    sys.stdout.flush()


def error(message: str) -> None:
    err_console.print(
        f"[bold red]error:[/] {escape(secrets.redact(message))}", markup=True, highlight=False, soft_wrap=True
    )
