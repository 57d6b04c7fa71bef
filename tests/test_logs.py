"""Log lines: JSON off a terminal, text on request, the worker field, secrets redacted."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest
from rich.console import Console

from jirasync_cli import logs, secrets
from tests.conftest import SECRET_TOKEN


@pytest.fixture
def log_stream():
    stream = io.StringIO()
    logs.configure("INFO", "json", worker="sync-ab", stream=stream)
    yield stream
    logs.configure("INFO", "json", worker="jirasync", stream=io.StringIO())


def test_json_lines_carry_worker_level_and_extras(log_stream):
    logging.getLogger("jirasync.test").info("Running initial full sync", extra={"issues": 3})
    entry = json.loads(log_stream.getvalue().strip())
    assert entry["worker"] == "sync-ab"
    assert entry["level"] == "info"
    assert entry["message"] == "Running initial full sync"
    assert entry["issues"] == 3
    assert entry["timestamp"].endswith("+00:00")


def test_registered_secrets_are_redacted_in_logs(log_stream):
    secrets.register(SECRET_TOKEN)
    logging.getLogger("jirasync.test").warning("header was %s", f"Basic {SECRET_TOKEN}", extra={"tok": SECRET_TOKEN})
    text = log_stream.getvalue()
    assert SECRET_TOKEN not in text
    assert "***" in text


def test_text_format_on_request():
    stream = io.StringIO()
    logs.configure("INFO", "text", worker="sync-cd", stream=stream)
    logging.getLogger("x").info("hello")
    assert "[sync-cd] hello" in stream.getvalue()


def test_text_logs_use_iso_dates():
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=120)
    logs.configure("INFO", "text", worker="sync-ab", console=console)
    try:
        logging.getLogger("jirasync_cli.test").warning("hello")
    finally:
        logs.configure("INFO", "json")
    assert re.search(r"\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\]", out.getvalue()), out.getvalue()
