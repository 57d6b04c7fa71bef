"""One bad thing fails only itself: a poisoned config file, kills from outside, a hung child
that ignores SIGTERM, and hundreds of idle HTTP clients under a low file-descriptor limit."""

from __future__ import annotations

import http.client
import json
import logging
import os
import resource
import signal
import socket
import sys
import time

import psutil
import pytest

from jirasync_cli.runtime.supervisor import HUNG_GRACE_SECONDS, Child, Supervisor
from jirasync_cli.settings import Settings
from tests.fixtures.supervisor import PAIRS
from tests.helpers import wait_for

pytestmark = pytest.mark.slow


def test_poisoned_config_files_beside_a_valid_pair_fail_only_themselves(deploy):
    sup = deploy(PAIRS[:1], start=False)
    directory = sup.config_dir
    (directory / "sync-huge-int.json").write_text('{"name": ' + "9" * 5000 + "}")
    os.mkfifo(directory / "sync-fifo.json")
    (directory / "sync-zero.json").symlink_to("/dev/zero")
    (directory / "sync-deep.json").write_text("[" * 100_000)
    sup.start()
    sup.wait_running(["sync-ab"])
    doc = wait_for(
        lambda: (lambda d: d if d["workers"] and d["workers"][0]["cycles"] >= 1 else None)(sup.health()),
        30,
        message="the valid pair syncs",
    )
    assert doc["status"] == "healthy" and [w["name"] for w in doc["workers"]] == ["sync-ab"]
    assert sorted(line.split(":")[0] for line in doc["invalid_configs"]) == [
        "sync-deep.json",
        "sync-fifo.json",
        "sync-huge-int.json",
        "sync-zero.json",
    ]
    assert "sync-fifo.json: $: not a regular file (a named pipe)" in doc["invalid_configs"]
    # SIGHUP re-reads the same poisoned directory without hanging or dropping the valid pair.
    pid = sup.children()["sync-ab"]
    sup.signal(signal.SIGHUP)
    wait_for(lambda: sup.log.read_text().count('"message": "configuration loaded"') >= 2, 20, message="reload")
    assert sup.children() == {"sync-ab": pid}


def test_kills_from_outside_restart_promptly_and_never_mark_failed(deploy):
    sup = deploy(PAIRS[:2])
    sup.wait_running(["sync-ab", "sync-cd"])
    downtimes = []
    for _ in range(8):  # more than the 5 fast failures that would mark an own failure `failed`
        pid = sup.children()["sync-ab"]
        killed = time.monotonic()
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda pid=pid: sup.children().get("sync-ab") not in (None, pid), 10, interval=0.02, message="restart")
        downtimes.append(time.monotonic() - killed)
        time.sleep(0.3)
    worker = wait_for(
        lambda: (lambda w: w if w["restarts"] == 8 else None)(sup.worker("sync-ab")),
        5,
        message="health shows 8 restarts",
    )
    print(
        f"\n8 external SIGKILLs: replacement after max {max(downtimes):.2f} s, "
        f"median {sorted(downtimes)[4]:.2f} s; state {worker['state']}"
    )
    assert max(downtimes) < 3.5, downtimes
    sup.wait_running(["sync-ab", "sync-cd"])
    text = sup.log.read_text()
    assert "marked failed" not in text and text.count('"cause": "stopped from outside"') == 8


IGNORES_SIGTERM = (
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); [time.sleep(0.1) for _ in range(600)]"
)


def test_a_hung_child_ignoring_sigterm_gets_one_term_one_kill_and_one_line(tmp_path, caplog):
    """The supervisor's own hang handling, with a real child that never heartbeats and ignores
    SIGTERM: the loop turns every 10 ms meanwhile, as it would when heartbeats of others wake it."""
    settings = Settings(
        config_dir=tmp_path,
        mongodb_url="mongodb://unused",
        health_host="127.0.0.1",
        health_port=0,
        sync_interval_minutes=1.0,
        log_format="json",
    )
    sup = Supervisor(settings, worker_command=[sys.executable, "-c", IGNORES_SIGTERM])
    child = Child("sync-hung", {"type": "config"}, "d", 3.0)
    sup.children[child.name] = child
    sup.spawn(child)
    pid = child.proc.pid
    try:
        wait_for(lambda: _ignores(pid, signal.SIGTERM), 20, interval=0.02, message="child ignoring SIGTERM")
        child.started_at -= child.timeout + 1  # silent for longer than its heartbeat timeout
        sup._at(time.monotonic(), "silence", child)  # ... so its deadline is due now
        turns = 0
        with caplog.at_level(logging.INFO, logger="jirasync.supervisor"):
            deadline = time.monotonic() + HUNG_GRACE_SECONDS + 10
            while child.proc is not None and child.state not in ("backoff", "failed") and time.monotonic() < deadline:
                sup.run_timers()
                sup.reap()
                turns += 1
                time.sleep(0.01)
        messages = [r.getMessage() for r in caplog.records]
        assert messages.count("worker hung: no heartbeat, stopping it") == 1
        assert messages.count("hung worker did not stop after SIGTERM; killing it") == 1
        assert child.last_exit == "killed by SIGKILL" and child.fast_failures == 1, "a hang is its own failure"
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
        print(f"\nhung child: {turns} loop turns, 1 hang line, 1 escalation")
    finally:
        if child.proc is not None and child.proc.poll() is None:
            child.proc.kill()
            child.proc.wait()
        sup._close_channel(child)


def _ignores(pid: int, sig: int) -> bool:
    for line in open(f"/proc/{pid}/status"):  # noqa: SIM115
        if line.startswith("SigIgn:"):
            return bool(int(line.split()[1], 16) & (1 << (sig - 1)))
    return False


def _limit_fds(limit: int):
    def preexec() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))

    return preexec


def test_hundreds_of_idle_clients_under_a_low_fd_limit(deploy):
    """RLIMIT_NOFILE 256 in the supervisor, 300 idle clients: it survives, its pairs run, and
    /health answers fast meanwhile."""
    sup = deploy(PAIRS[:2], popen={"preexec_fn": _limit_fds(256)})
    sup.wait_running(["sync-ab", "sync-cd"])
    cycles_before = {w["name"]: w["cycles"] for w in sup.health()["workers"]}
    idle = []
    for _ in range(300):
        try:
            idle.append(socket.create_connection(("127.0.0.1", sup.port), timeout=5))
        except OSError:
            break  # the backlog is full: that is the kernel refusing, not us dying
    time.sleep(1.0)
    held = sum(1 for s in idle if _open(s))
    latencies = []
    conn = http.client.HTTPConnection("127.0.0.1", sup.port, timeout=5)
    for _ in range(200):
        started = time.perf_counter()
        conn.request("GET", "/health")
        response = conn.getresponse()
        body = response.read()
        latencies.append(time.perf_counter() - started)
        assert response.status == 200 and json.loads(body)["status"] == "healthy"
    latencies.sort()
    p99 = 1000 * latencies[int(len(latencies) * 0.99) - 1]
    wait_for(
        lambda: all(w["cycles"] > cycles_before[w["name"]] for w in sup.health()["workers"]),
        20,
        message="pairs keep syncing",
    )
    assert sup.proc.poll() is None, "the supervisor survived"
    open_fds = psutil.Process(sup.proc.pid).num_fds()
    print(
        f"\n{len(idle)} idle clients connected, {held} held open by the supervisor "
        f"(fd limit 256, {open_fds} fds open), /health p99 {p99:.1f} ms meanwhile"
    )
    assert open_fds < 256 and held < len(idle)
    assert p99 <= 20, latencies[-5:]
    for s in idle:
        s.close()
    assert "Too many open files" not in sup.log.read_text()


def _open(sock: socket.socket) -> bool:
    sock.settimeout(0.001)
    try:
        return sock.recv(1) != b""
    except TimeoutError:
        return True
    except OSError:
        return False
