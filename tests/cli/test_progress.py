"""The live progress bar of run-worker --once and the log lines printed above it."""

from __future__ import annotations

import io
import logging
import re

from rich.console import Console

from jirasync_cli import logs
from jirasync_cli.cli.progress import cycle_progress


def test_logs_print_above_a_live_progress_with_an_eta():
    """One console for both: rich moves the live bar below each log line instead of
    writing the line into the middle of the bar."""
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=100)
    logs.configure("INFO", "text", worker="sync-ab", console=console)
    try:
        with cycle_progress(console) as hooks:
            hooks.planned(10)
            hooks.applied(5)
            logging.getLogger("jirasync_cli.test").warning("a log line in the middle")
            hooks.applied(6)
    finally:
        logs.configure("INFO", "json")
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out.getvalue())
    line = next(x for x in text.splitlines() if "a log line in the middle" in x)
    assert "applying" not in line and "━" not in line, "the log line is not mixed into the bar"
    assert "ETA" in text and re.search(r"\d+/10", text)
