"""Small promises of the CLI a newcomer meets in the first hour."""

from __future__ import annotations

import io
import logging
import re
import subprocess
import sys

from rich.console import Console

from jirasync_cli import logs
from jirasync_cli.cli.progress import cycle_progress
from tests.conftest import SECRET_TOKEN, pair_config


def test_completion_can_be_installed():
    result = subprocess.run([sys.executable, "-m", "jirasync_cli", "--show-completion", "bash"], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "complete -o default -F _jirasync_completion jirasync" in result.stdout


def test_verbose_and_quiet_set_the_log_level(cli, monkeypatch):
    from jirasync_cli.settings import get_settings

    monkeypatch.setenv("JIRASYNC_LOG_LEVEL", "INFO")
    assert cli.run("-v", "validate-configs", "--schema").exit_code == 0
    assert get_settings().log_level == "DEBUG"
    assert cli.run("-q", "validate-configs", "--schema").exit_code == 0
    assert get_settings().log_level == "WARNING"
    result = cli.run("-v", "-q", "validate-configs")
    assert result.exit_code == 2 and "exclude each other" in result.stderr


def test_run_worker_options_that_need_once_are_errors(cli):
    for flag in ("--json", "--dry-run", "--show-unhandled"):
        result = cli.run("run-worker", "ab", flag)
        assert result.exit_code == 2, flag
        assert result.stderr.strip().splitlines() == [result.stderr.strip()]
        assert f"{flag} needs --once" in result.stderr


def test_state_reset_says_what_it_did_in_user_terms_and_a_no_aborts_once(cli, write_config, mongo_url):
    directory = write_config("sync-ab.json", pair_config())
    env = {"JIRASYNC_MONGODB_URL": mongo_url, "JIRA_API_TOKEN": SECRET_TOKEN}
    no = cli.run("state", "reset", "sync-ab", "-c", str(directory), input="n\n", env=env)
    assert no.exit_code == 1 and (no.stdout + no.stderr).lower().count("abort") == 1
    eof = cli.run("state", "reset", "sync-ab", "-c", str(directory), input="", env=env)
    assert eof.exit_code == 1 and (eof.stdout + eof.stderr).lower().count("abort") == 1
    done = cli.run("state", "reset", "sync-ab", "-c", str(directory), "--yes", "--forget-mappings", env=env)
    assert done.exit_code == 0
    assert done.stdout.strip() == ("reset sync-ab: the next cycle is an initial full sync; forgot 0 issue pairings, "
                                   "0 issue snapshots, 0 journal entries")
    assert not re.search(r"sync_state|issue_map", done.stdout)


def test_text_logs_use_iso_dates():
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=120)
    logs.configure("INFO", "text", worker="sync-ab", console=console)
    try:
        logging.getLogger("jirasync_cli.test").warning("hello")
    finally:
        logs.configure("INFO", "json")
    assert re.search(r"\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\]", out.getvalue()), out.getvalue()


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
