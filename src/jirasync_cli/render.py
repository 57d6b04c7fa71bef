"""Rich and JSON rendering shared by the CLI commands."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console
from rich.markup import escape

from jirasync_cli import secrets

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def print_json(data: Any) -> None:
    """Machine-readable output: plain JSON on stdout, secrets redacted."""
    sys.stdout.write(secrets.redact(json.dumps(data, indent=2, default=str, ensure_ascii=False)) + "\n")
    sys.stdout.flush()


def error(message: str) -> None:
    err_console.print(f"[bold red]error:[/] {escape(secrets.redact(message))}", markup=True, highlight=False, soft_wrap=True)
