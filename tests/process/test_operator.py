"""What an operator meets first: a mistyped config dir, an empty one, every pair failing,
finding the processes with pgrep, SIGHUP from a terminal, and reloads that leave unchanged
pairs alone. Real `jirasync supervise` processes, real signals, real HTTP."""

from __future__ import annotations

import json
import os
import pty
import re
import signal
import socket
import subprocess

import pytest

from jirasync_cli.doubles.mongo import free_port
from tests.fixtures.supervisor import FAST, PAIRS, Supervisor, no_orphans
from tests.helpers import cli_env, jirasync, sync_config, wait_for, write_config

pytestmark = pytest.mark.slow


def _log_lines(sup: Supervisor) -> list[dict]:
    return [json.loads(line) for line in sup.log.read_text().splitlines() if line.startswith("{")]


@pytest.mark.parametrize("kind", ["missing", "file"])
def test_a_wrong_config_dir_is_one_line_and_exit_1(mongo_url, tmp_path, kind):
    target = tmp_path / "nonexistent"
    if kind == "file":
        target.write_text("not a directory")
    env = cli_env(mongo_url, tmp_path, JIRASYNC_HEALTH_PORT=str(free_port()), JIRASYNC_HEALTH_HOST="127.0.0.1")
    result = jirasync("supervise", "-c", str(target), env=env, timeout=30)  # would run forever before
    assert result.returncode == 1
    expected = (
        f"error: config directory {target} does not exist (set --config-dir or JIRASYNC_CONFIG_DIR)"
        if kind == "missing"
        else f"error: config directory {target} is not a directory"
    )
    assert result.stderr.strip() == expected and result.stdout == ""


def test_an_empty_config_dir_warns_and_health_says_why(emu, mongo_url, tmp_path):
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    sup = Supervisor(emu, mongo_url, config_dir, tmp_path / "sup.log")
    try:
        sup.start()
        doc = sup.health()
        assert doc["_code"] == 503 and doc["status"] == "unhealthy"
        assert doc["errors"] == [f"no pairs configured: no valid sync-*.json in {config_dir}"]
        warning = wait_for(
            lambda: [x for x in _log_lines(sup) if x["message"] == "no pairs configured: nothing to sync"],
            10,
            message="warning logged",
        )
        assert warning[0]["level"] == "warning" and warning[0]["config_dir"] == str(config_dir)
        # A pair added later is picked up by SIGHUP and the warning's condition clears.
        write_config(config_dir, sync_config("sync-ab", emu.url, "USER", "DEV", syncIntervalMinutes=FAST))
        sup.signal(signal.SIGHUP)
        sup.wait_running(["sync-ab"])
        wait_for(lambda: sup.health()["_code"] == 200, 10, message="healthy with one pair")
    finally:
        sup.stop()
        sup.kill_leftovers()


def test_every_pair_failing_is_unhealthy_and_shows_the_failed_cycle(emu, tmp_path):
    """MongoDB away: every worker runs but none can sync. That is not 'degraded'."""
    dead_mongo = f"mongodb://127.0.0.1:{free_port()}/?directConnection=true&serverSelectionTimeoutMS=300"
    config_dir = tmp_path / "config"
    for name, user, dev in PAIRS[:2]:
        write_config(config_dir, sync_config(name, emu.url, user, dev, syncIntervalMinutes=FAST))
    sup = Supervisor(emu, dead_mongo, config_dir, tmp_path / "sup.log")
    try:
        sup.start()

        def all_failed():
            doc = sup.health()
            cycles = [(w["last_cycle"] or {}).get("result") for w in doc["workers"]]
            return doc if len(cycles) == 2 and cycles == ["failed", "failed"] else None

        doc = wait_for(all_failed, 40, interval=0.3, message="every worker reports a failed cycle")
        assert doc["_code"] == 503 and doc["status"] == "unhealthy", doc
        assert all(w["state"] == "running" and not w["ok"] and "MongoDB" in w["error"] for w in doc["workers"])
        assert doc["errors"][0].startswith("every pair is failing (sync-ab: ")
        assert sup.get("/readyz")[0] == 503
        url = f"http://127.0.0.1:{sup.port}/health"
        table = jirasync("health", "--url", url, env=sup.env)
        assert table.returncode == 2, table.stdout
        assert "unhealthy" in table.stdout and "failed" in table.stdout and " ok " not in table.stdout
        as_json = jirasync("health", "--url", url, "--json", env=sup.env)
        assert as_json.returncode == 2 and json.loads(as_json.stdout)["status"] == "unhealthy"
    finally:
        sup.stop()
        sup.kill_leftovers()


def _pgrep(*args: str) -> list[int]:
    done = subprocess.run(["pgrep", *args], capture_output=True, text=True, timeout=10)
    return sorted(int(pid) for pid in done.stdout.split())


def test_processes_carry_titles_pgrep_finds(deploy):
    sup = deploy(PAIRS[:2])
    children = sup.wait_running(["sync-ab", "sync-cd"])
    assert _pgrep("-f", f"jirasync supervise {re.escape(str(sup.config_dir))}") == [sup.proc.pid]
    assert sup.proc.pid in _pgrep("-f", "^jirasync supervise")  # what docs/operations.md tells to use
    for name, pid in children.items():
        assert _pgrep("-P", str(sup.proc.pid), "-f", f"^jirasync worker {name}( |$)") == [pid]
    assert set(_pgrep("-P", str(sup.proc.pid), "-f", "^jirasync worker ")) == set(children.values())
    # A process title, not only argv: the short name (comm) says it too.
    with open(f"/proc/{sup.proc.pid}/comm") as comm:
        assert comm.read().strip().startswith("jirasync")


def test_sighup_from_a_terminal_is_a_hang_up_not_a_reload(deploy):
    """Closing the terminal a supervisor runs in sends it SIGHUP: it must stop cleanly,
    not reload and keep running without a terminal."""
    master, slave = pty.openpty()
    try:
        sup = deploy(PAIRS[:2], popen={"stdin": slave})
        pids = list(sup.wait_running(["sync-ab", "sync-cd"]).values())
        sup.signal(signal.SIGHUP)
        assert sup.proc.wait(30) == 0
        assert no_orphans(pids)
        text = sup.log.read_text()
        assert "taken as the terminal hanging up; stopping" in text and "re-reading configuration" not in text
        assert "killed by" not in text, "workers stopped gracefully"
    finally:
        os.close(master)
        os.close(slave)


def test_sighup_reloads_in_a_terminal_with_reload_on_hup(deploy, emu):
    master, slave = pty.openpty()
    try:
        sup = deploy(PAIRS[:1], popen={"stdin": slave}, args=("--reload-on-hup",))
        before = sup.wait_running(["sync-ab"])
        name, user, dev = PAIRS[1]
        other_site = emu.url.replace("127.0.0.1", "localhost")
        write_config(sup.config_dir, sync_config(name, other_site, user, dev, syncIntervalMinutes=FAST))
        sup.signal(signal.SIGHUP)
        after = sup.wait_running(["sync-ab", "sync-cd"])
        assert after["sync-ab"] == before["sync-ab"] and sup.proc.poll() is None
    finally:
        os.close(master)
        os.close(slave)


def test_sighup_restarts_only_the_changed_pair_on_a_shared_site(deploy, emu):
    """Two pairs on one site share its rate budget. Moving one to another site (its file
    changed) must not restart the other: the budget is lent at run time, not configured."""
    sup = deploy(PAIRS[:2])
    before = sup.wait_running(["sync-ab", "sync-cd"])
    path = sup.config_dir / "sync-cd.json"
    moved = json.loads(path.read_text())
    moved["jira"]["baseUrl"] = emu.url.replace("127.0.0.1", "localhost")  # the same emulator, another site
    path.write_text(json.dumps(moved))
    sup.signal(signal.SIGHUP)
    wait_for(
        lambda: sup.children().get("sync-cd") not in (None, before["sync-cd"]), 30, message="changed pair restarted"
    )
    after = sup.wait_running(["sync-ab", "sync-cd"])
    assert after["sync-ab"] == before["sync-ab"], "the untouched pair on the shared site was restarted"
    # It keeps syncing: another cycle after the reload, same process.
    cycles = sup.worker("sync-ab")["cycles"]
    wait_for(lambda: sup.worker("sync-ab")["cycles"] > cycles, 20, message="sync-ab cycles on")
    assert sup.children()["sync-ab"] == before["sync-ab"]


def test_state_reset_refuses_while_a_worker_holds_the_lease(deploy):
    sup = deploy(PAIRS[:1])
    pid = sup.wait_running(["sync-ab"])["sync-ab"]
    wait_for(lambda: sup.worker("sync-ab")["cycles"] >= 1, 30, message="a first cycle stored the state")

    refused = jirasync("state", "reset", "sync-ab", "--yes", env=sup.env)
    assert refused.returncode == 3, refused.stderr
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in refused.stderr
    assert re.fullmatch(
        rf"error: sync-ab is being synced by {re.escape(socket.gethostname())} pid {pid} since "
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC: stop that worker .* or pass --force",
        lines[0],
    ), lines[0]
    shown = json.loads(jirasync("state", "show", "sync-ab", "--json", env=sup.env).stdout)
    assert shown["lastSync"] is not None, "a refused reset changed nothing"

    forced = jirasync("state", "reset", "sync-ab", "--yes", "--force", env=sup.env)
    assert forced.returncode == 0, forced.stderr
    assert forced.stderr.startswith(f"warning: sync-ab is being synced by {socket.gethostname()} pid {pid} since ")
    assert "reset sync-ab: the next cycle is an initial full sync" in forced.stdout

    assert sup.stop() == 0  # a graceful stop releases the lease: no holder, no refusal
    after = jirasync("state", "reset", "sync-ab", "--yes", env=sup.env)
    assert after.returncode == 0 and after.stderr == "", after.stderr
