"""Careless input to the CLI: one line naming the variable, option or endpoint; the right exit code."""

from __future__ import annotations

import socket

import pytest

from tests.conftest import pair_config


def one_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output and "pydantic" not in result.output
    return lines[0]


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("JIRASYNC_HEALTH_PORT", "abc", "JIRASYNC_HEALTH_PORT='abc'"),
        ("JIRASYNC_LOG_LEVEL", "verbose", "JIRASYNC_LOG_LEVEL='verbose'"),
        ("JIRASYNC_SYNC_INTERVAL_MINUTES", "-5", "JIRASYNC_SYNC_INTERVAL_MINUTES='-5'"),
        ("HEALTH_PORT", "70000", "HEALTH_PORT='70000'"),  # the old unprefixed name is named as written
    ],
)
def test_an_invalid_setting_is_one_line_exit_1_naming_the_variable(cli, variable, value, named):
    result = cli.run("state", "show", env={variable: value})
    assert result.exit_code == 1
    assert one_line(result).startswith(f"error: invalid setting {named}: ")


def test_health_options_of_the_other_mode_are_usage_errors(cli):
    result = cli.run("health", "--health-port", "4000")
    assert result.exit_code == 2 and "--health-port does not apply without --serve" in one_line(result)
    result = cli.run("health", "--serve", "--json", "--url", "http://x/health")
    assert result.exit_code == 2 and "--url, --json do not apply with --serve" in one_line(result)


def test_health_serve_on_a_busy_port_is_one_line(cli):
    with socket.socket() as busy:
        busy.bind(("0.0.0.0", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = cli.run("health", "--serve", "--health-port", str(port), env={"JIRASYNC_LOG_FORMAT": "json"})
    assert result.exit_code == 1
    assert f"cannot serve health on 0.0.0.0:{port} (--health-port): Address already in use" in one_line(result)


def test_emulator_rejects_an_unknown_time_zone(cli):
    result = cli.run("emulator", "--timezone", "Mars/Base", "--port", "0")
    assert result.exit_code == 2 and "unknown time zone 'Mars/Base'" in one_line(result)


def test_run_worker_names_the_jira_it_cannot_reach(cli, write_config, mongo_url):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        doc = pair_config()
        doc["jira"].update(baseUrl=f"http://bot:pw@127.0.0.1:{port}", apiToken="tok-1234")
        directory = write_config("sync-ab.json", doc)
        result = cli.run(
            "run-worker",
            "sync-ab",
            "-c",
            str(directory),
            "--once",
            "--dry-run",
            env={"JIRASYNC_MONGODB_URL": mongo_url, "JIRASYNC_LOG_FORMAT": "json"},
        )
    assert result.exit_code == 1
    line = one_line(result)
    assert line == (
        f"error: cannot connect to Jira at 127.0.0.1:{port} (jira.baseUrl of sync-ab): "
        "connection refused (nothing listens there)"
    )
