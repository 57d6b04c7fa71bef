"""`run-worker` standalone, `health`, and the one-line errors of the CLI, as real processes."""

from __future__ import annotations

import json
import signal

import pytest
from pymongo import MongoClient

from jirasync_cli.doubles.mongo import free_port
from jirasync_cli.emulator import JiraEmulator, Workflow
from tests.conftest import SECRET_TOKEN
from tests.fixtures.supervisor import FAST
from tests.helpers import cli_env, jirasync, spawn, sync_config, wait_for, write_config

pytestmark = pytest.mark.slow


def _heartbeats(mongo_url: str, database: str) -> list[dict]:
    return list(MongoClient(mongo_url)[database].workers.find())


def test_standalone_worker_syncs_stops_on_sigterm_and_releases_lease(emu, mongo_url, tmp_path):
    doc = sync_config("sync-ab", emu.url, syncIntervalMinutes=FAST)
    write_config(tmp_path / "config", doc)
    env = cli_env(mongo_url, tmp_path / "config")
    key = emu.create_issue("USER", summary="Standalone", as_account="alice")
    emu.transition(key, "Will Do", as_account="alice")
    worker = spawn("run-worker", "sync-ab", env=env, log=tmp_path / "worker.log")
    try:
        wait_for(lambda: len(emu.issues("DEV")) == 1, 30, message="first cycle")
        wait_for(lambda: any(b.get("cycles", 0) >= 2 for b in _heartbeats(mongo_url, doc["database"])), 20,
                 message="heartbeat documents")
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(20) == 0
    finally:
        worker.kill()
    lease = MongoClient(mongo_url)[doc["database"]].lease.find_one({"_id": "lease"})
    assert lease["owner"] is None
    lines = [json.loads(line) for line in (tmp_path / "worker.log").read_text().splitlines() if line.startswith("{")]
    assert {line["worker"] for line in lines} == {"sync-ab"}
    assert any(line["message"] == "Running initial full sync" for line in lines)
    assert lines[-1]["message"] == "worker stopped"


def test_worker_survives_jira_outage_and_reports_it(mongo_url, tmp_path):
    port = free_port()
    emu = JiraEmulator(mode="cloud", port=port).start()
    for p, wf in (("USER", Workflow.user_default()), ("DEV", Workflow.dev_default())):
        emu.add_project(p, workflow=wf)
    doc = sync_config("sync-ab", emu.url, syncIntervalMinutes=FAST)
    write_config(tmp_path / "config", doc)
    env = cli_env(mongo_url, tmp_path / "config")
    worker = spawn("run-worker", "sync-ab", env=env, log=tmp_path / "worker.log")
    try:
        wait_for(lambda: any(b.get("cycles", 0) >= 1 for b in _heartbeats(mongo_url, doc["database"])), 30)
        emu.stop()
        wait_for(
            lambda: any(b.get("state") == "error" and b.get("error") for b in _heartbeats(mongo_url, doc["database"])),
            40,
            message="error reported in heartbeat",
        )
        assert worker.poll() is None, "no crash on a Jira outage"
        emu = JiraEmulator(mode="cloud", port=port).start()
        for p, wf in (("USER", Workflow.user_default()), ("DEV", Workflow.dev_default())):
            emu.add_project(p, workflow=wf)
        key = emu.create_issue("USER", summary="After the outage", as_account="alice")
        emu.transition(key, "Will Do", as_account="alice")
        wait_for(lambda: len(emu.issues("DEV")) == 1, 60, message="recovery after the outage")
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(20)
        emu.stop()


def test_health_command_exit_codes_and_serve_from_mongo(emu, mongo_url, tmp_path):
    config_dir = tmp_path / "config"
    doc = sync_config("sync-ab", emu.url, syncIntervalMinutes=FAST)
    write_config(config_dir, doc)
    env = cli_env(mongo_url, config_dir)
    unreachable = jirasync("health", "--url", f"http://127.0.0.1:{free_port()}/health", env=env)
    assert unreachable.returncode == 2 and "cannot reach" in unreachable.stdout
    worker = spawn("run-worker", "sync-ab", env=env, log=tmp_path / "worker.log")
    port = free_port()
    server = spawn("health", "--serve", "--health-port", str(port), env=env, log=tmp_path / "health.log")
    try:
        url = f"http://127.0.0.1:{port}/health"

        def healthy():
            result = jirasync("health", "--url", url, "--json", env=env)
            return result if result.returncode == 0 else None

        result = wait_for(healthy, 40, interval=0.5, message="healthy via stored heartbeats")
        doc_out = json.loads(result.stdout)
        assert doc_out["source"] == "mongodb" and doc_out["workers"][0]["state"] == "running"
        worker.send_signal(signal.SIGTERM)
        worker.wait(20)
        # A stopped worker's pair is down: unhealthy (exit 2) once its heartbeat says so.
        wait_for(lambda: jirasync("health", "--url", url, env=env).returncode == 2, 40, interval=0.5)
    finally:
        worker.kill()
        server.send_signal(signal.SIGTERM)
        server.wait(10)


def test_cli_one_line_errors_without_traceback(emu, tmp_path):
    config_dir = tmp_path / "config"
    write_config(config_dir, sync_config("sync-ab", emu.url, token=SECRET_TOKEN))
    env = cli_env("mongodb://127.0.0.1:1/?directConnection=true&serverSelectionTimeoutMS=500", config_dir)
    result = jirasync("state", "show", "sync-ab", env=env)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "error: MongoDB at 127.0.0.1:1 (JIRASYNC_MONGODB_URL) is unreachable: "
        "connection refused (nothing listens there)"
    ), result.stderr
    result = jirasync("run-worker", "nope", "--once", env=env)
    assert result.returncode == 1 and "no valid config named 'nope'" in result.stderr
    # Jira refuses the token: one line naming the problem, never the token.
    env = cli_env("mongodb://127.0.0.1:1/", config_dir)
    result = jirasync("run-worker", "sync-ab", "--once", "--dry-run", env=env)
    assert result.returncode != 0 and "Traceback" not in result.stderr + result.stdout
    assert SECRET_TOKEN not in result.stderr + result.stdout
