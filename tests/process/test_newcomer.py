"""A newcomer's first hour, scripted: the demo and Ctrl-C, then careless input to every
command. Each mistake gets one clear line and the right exit code, never a traceback, and
nothing is left running afterwards."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from jirasync_cli.doubles.mongo import free_port
from tests.fixtures.supervisor import descendants, kill_all, processes_with_env
from tests.helpers import wait_for

pytestmark = pytest.mark.slow
MARK = "JIRASYNC_TEST_NEWCOMER"


@pytest.fixture
def session(tmp_path):
    """Runs jirasync like a newcomer at a shell: a fresh directory, no JIRASYNC_* or JIRA_* set."""
    marker = uuid.uuid4().hex
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JIRASYNC_", "JIRA_", "CI"))}
    env.update({MARK: marker, "COLUMNS": "160"})

    def run(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "jirasync_cli", *args],
            cwd=tmp_path,
            env={**env, **extra},
            capture_output=True,
            text=True,
            timeout=120,
        )

    run.env = env  # type: ignore[attr-defined]
    yield run
    leftovers = processes_with_env(MARK, marker)
    kill_all(leftovers)
    assert not leftovers, f"left running: {[p.pid for p in leftovers]}"


def one_clear_line(result: subprocess.CompletedProcess[str], code: int, *needles: str) -> str:
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def test_the_demo_then_ctrl_c_leaves_nothing_running(session, tmp_path):
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jirasync_cli",
            "demo",
            "--pairs",
            "1",
            "--duration",
            "60",
            "--health-port",
            str(free_port()),
        ],
        cwd=tmp_path,
        env=session.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        tree = wait_for(
            lambda: [p.pid for p in descendants(proc.pid)] if len(descendants(proc.pid)) >= 3 else None,
            90,
            interval=0.5,
            message="the demo's MongoDB, supervisor and worker",
        )
        time.sleep(3)
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C at a terminal does: the whole foreground group
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0 and "Traceback" not in out and "KeyboardInterrupt" not in out, out
    assert "stopping" in out and "demo summary" in out
    assert not [
        pid
        for pid in tree
        if Path(f"/proc/{pid}").exists() and "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()
    ], "all stopped"


def test_careless_input_gets_one_clear_line_each(session, tmp_path):
    config = tmp_path / "config"
    config.mkdir()
    doc = {
        "name": "sync-x",
        "jira": {"baseUrl": "${JIRA_BASE_URL}", "email": "${JIRA_EMAIL}", "apiToken": "${JIRA_API_TOKEN}"},
        "userProjectKey": "SUP",
        "devProjectKey": "ENG",
        "rules": [
            {"id": "up", "sourceStatus": "Will Do", "syncDirection": "user_to_dev", "actions": {"createIssue": True}}
        ],
    }
    (config / "sync-x.json").write_text(json.dumps(doc))

    # The token is not exported yet: say which variables, not "no config named x".
    one_clear_line(
        session("run-worker", "x", "--once"),
        1,
        "sync-x.json is invalid",
        "JIRA_BASE_URL ($.jira.baseUrl), JIRA_EMAIL ($.jira.email), JIRA_API_TOKEN ($.jira.apiToken)",
    )
    # ...which CI-style validation only warns about.
    assert session("validate-configs").returncode == 0
    # Misspelt settings and options used in the wrong mode.
    one_clear_line(session("state", "show", JIRASYNC_HEALTH_PORT="abc"), 1, "JIRASYNC_HEALTH_PORT='abc'")
    one_clear_line(session("state", "show", JIRASYNC_LOG_LEVEL="verbose"), 1, "JIRASYNC_LOG_LEVEL='verbose'")
    one_clear_line(session("health", "--health-port", "4000"), 2, "--health-port does not apply without --serve")
    one_clear_line(session("run-worker", "x", "--json"), 2, "--json needs --once")
    one_clear_line(session("emulator", "--timezone", "Mars/Base"), 2, "unknown time zone 'Mars/Base'")
    # No MongoDB yet: name the host and the setting.
    env = {
        "JIRA_BASE_URL": "http://127.0.0.1:9",
        "JIRA_EMAIL": "bot@example.com",
        "JIRA_API_TOKEN": "tok-12345",
        "JIRASYNC_MONGODB_URL": "mongodb://someone:pw@127.0.0.1:1/?serverSelectionTimeoutMS=500",
    }
    line = one_clear_line(
        session("state", "show", "x", **env),
        1,
        "MongoDB at 127.0.0.1:1 (JIRASYNC_MONGODB_URL) is unreachable: connection refused",
    )
    assert "pw" not in line and "someone" not in line
    # A misspelt key: the closest known key.
    doc["syncIntervalMinute"] = 5
    (config / "sync-x.json").write_text(json.dumps(doc))
    result = session("validate-configs", **env)
    assert result.returncode == 1 and "Traceback" not in result.stdout + result.stderr
    assert "$.syncIntervalMinute: unknown key (did you mean 'syncIntervalMinutes'?)" in result.stdout
