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
        wait_for(
            lambda: any(b.get("cycles", 0) >= 2 for b in _heartbeats(mongo_url, doc["database"])),
            20,
            message="heartbeat documents",
        )
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


def test_once_fenced_out_by_a_newer_holder_is_one_line_and_exit_3(emu, mongo_url, tmp_path):
    """A newer lease holder has written the pair's state (higher fence): this runner's write
    is refused, and `--once` says so in one line with the lease exit code, not as a crash."""
    doc = sync_config("sync-ab", emu.url)
    write_config(tmp_path / "config", doc)
    MongoClient(mongo_url)[doc["database"]].sync_state.insert_one({"_id": "state", "name": "sync-ab", "fence": 1000})
    result = jirasync("run-worker", "sync-ab", "--once", env=cli_env(mongo_url, tmp_path / "config"))
    assert result.returncode == 3, result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "error: lease of sync-ab lost: a newer lease holder has written its state; stopping writes"
    ), result.stderr
    assert "Traceback" not in result.stderr + result.stdout and "internal error" not in result.stderr
    assert MongoClient(mongo_url)[doc["database"]].sync_state.find_one({"_id": "state"})["fence"] == 1000


def test_supervised_worker_runs_on_the_exported_config_without_pydantic(emu, mongo_url, tmp_path):
    """What the supervisor does, by hand: export the config dir, hand one pair to a worker over
    its stdin, read its heartbeats from the pipe. The worker syncs on the PairConfig rebuilt
    from that JSON and never maps pydantic's extension (about 20 MB per pair)."""
    import os
    import select
    import subprocess
    import sys
    from pathlib import Path

    from jirasync_cli.config.export import export
    from jirasync_cli.runtime.ipc import LineReader, encode
    from jirasync_cli.runtime.supervisor import config_message
    from jirasync_cli.settings import Settings

    doc = sync_config("sync-ab", emu.url, syncIntervalMinutes=FAST)
    write_config(tmp_path / "config", doc)
    [pair] = export(str(tmp_path / "config"), 5.0)["pairs"]
    settings = Settings(config_dir=tmp_path / "config", mongodb_url=mongo_url, log_format="json")
    key = emu.create_issue("USER", summary="Over the pipe", as_account="alice")
    emu.transition(key, "Will Do", as_account="alice")
    read_fd, write_fd = os.pipe()
    worker = subprocess.Popen(
        [sys.executable, "-m", "jirasync_cli", "run-worker", "sync-ab", "--ipc-fd", str(write_fd)],
        stdin=subprocess.PIPE,
        pass_fds=(write_fd,),
        stderr=open(tmp_path / "worker.log", "wb"),
    )  # noqa: SIM115
    os.close(write_fd)
    try:
        worker.stdin.write(encode(config_message(pair["config"], pair["interval_seconds"], settings)))
        worker.stdin.flush()
        reader, beats = LineReader(), []

        def cycled() -> bool:
            if select.select([read_fd], [], [], 0.2)[0]:
                for message in reader.feed(os.read(read_fd, 65536)):
                    if message.get("type") == "heartbeat":
                        beats.append(message)
                    elif message.get("type") == "tokens":  # the site's rate budget: lend what it asks for
                        worker.stdin.write(encode({"type": "grant", "n": int(message.get("want") or 1)}))
                        worker.stdin.flush()
            return any(b.get("cycles", 0) >= 1 for b in beats)

        wait_for(cycled, 40, message="a cycle reported over the pipe")
        assert len(emu.issues("DEV")) == 1
        maps = Path(f"/proc/{worker.pid}/maps")
        if maps.exists():
            assert "pydantic" not in maps.read_text()
        assert not [b for b in beats if b.get("error")], beats
    finally:
        worker.stdin.close()  # the supervisor is gone: the worker stops
        assert worker.wait(20) == 0
        os.close(read_fd)
    log = (tmp_path / "worker.log").read_text()
    assert "cycle finished" in log and doc["jira"]["apiToken"] not in log
