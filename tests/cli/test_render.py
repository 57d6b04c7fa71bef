"""The CLI's output channels: JSON on stdout, one red line on stderr, secrets never shown."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from jirasync_cli import secrets
from jirasync_cli.cli import render
from tests.conftest import SECRET_TOKEN


def test_json_output_is_plain_json_with_secrets_redacted(capsys):
    secrets.register(SECRET_TOKEN)
    render.print_json({"token": SECRET_TOKEN, "when": render, "text": "é"})
    out = capsys.readouterr().out
    assert out.endswith("}\n") and "\x1b" not in out, "no colours, no markup"
    doc = json.loads(out)
    assert doc["token"] == "***" and doc["text"] == "é" and doc["when"].startswith("<module")


def test_an_error_is_one_line_on_stderr_taken_literally_and_redacted(capsys):
    secrets.register(SECRET_TOKEN)
    render.error(f"bad [bold]value[/] {SECRET_TOKEN} " + "x" * 300)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1, "never wrapped: one line, however long"
    assert captured.err.startswith("error: bad [bold]value[/] *** x")
    assert SECRET_TOKEN not in captured.err


def test_piped_tables_are_not_cut_to_80_columns_unless_columns_says_so():
    code = "from jirasync_cli.cli.render import console; print(console.width)"
    env_without = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    piped = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env_without, timeout=60)
    assert piped.stdout.strip() == "1000"
    narrow = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**env_without, "COLUMNS": "60"}, timeout=60
    )
    assert narrow.stdout.strip() == "60"
