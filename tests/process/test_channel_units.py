"""Units of the supervisor ↔ worker channel and of the supervisor's restart policy."""

from __future__ import annotations

import logging
import os
import signal
from datetime import UTC, datetime

import pytest

from jirasync_cli.runtime.ipc import LineReader, encode
from jirasync_cli.runtime.supervisor import Child, Supervisor, own_failure
from jirasync_cli.runtime.worker import (
    HEARTBEAT_MAX_BYTES,
    cycle_digest,
    heartbeat_message,
)
from jirasync_cli.settings import Settings
from jirasync_cli.sync.cycle import CycleReport


def _big_cycle(created: int = 30_000, errors: int = 5_000) -> dict:
    report = CycleReport("sync-ab", "c0ffee", "full", False, datetime.now(UTC))
    report.issues_seen = created
    report.created = [(f"USER-{i}", f"DEV-{i}") for i in range(created)]
    report.actions.update({"create": created, "link": created, "comment": created})
    report.errors = [f"USER-{i}: transition refused: " + "x" * 300 for i in range(errors)]
    return report.summary()


def test_heartbeat_of_a_huge_initial_sync_is_small():
    summary = _big_cycle()
    assert len(encode(summary)) > 1_000_000, "the full report is large: that is what must not travel"
    error = "; ".join(summary["errors"][:3])
    beat = heartbeat_message(
        pid=1,
        state="running",
        cycles=1,
        failures=0,
        error=error,
        last_cycle=cycle_digest(summary),
        last_success=None,
        busy_seconds=None,
    )
    size = len(encode(beat))
    print(f"\nheartbeat after a 30,000-issue cycle: {size} bytes (full cycle report {len(encode(summary))} bytes)")
    assert size <= HEARTBEAT_MAX_BYTES
    assert beat["last_cycle"]["issuesSeen"] == 30_000 and beat["last_cycle"]["errors"] == 5_000
    assert beat["last_cycle"]["actions"]["create"] == 30_000 and beat["error"].startswith("USER-0: transition")


def test_heartbeat_stays_bounded_whatever_it_carries():
    digest = {
        "result": "error",
        "mode": "full",
        "actions": {f"kind-{'é' * 30}-{i}": i for i in range(100)},
        "errors": 1,
    }
    beat = heartbeat_message(pid=1, state="error", error="ü" * 100_000, last_cycle=digest)
    assert len(encode(beat)) <= HEARTBEAT_MAX_BYTES and beat["last_cycle"]["result"] == "error"


def test_line_reader_reports_every_dropped_line():
    reader = LineReader(limit=100)
    out = reader.feed(b'{"a": 1}\n' + b"x" * 60)
    assert out == [{"a": 1}] and reader.take_errors() == []
    out = reader.feed(b"y" * 60)  # runaway line: dropped as it streams in, memory stays bounded
    out += reader.feed(b"z" * 500 + b'\n{"b": 2}\nnot json\n[1]\n')
    assert out == [{"b": 2}]
    assert reader.take_errors() == [
        "line of 620 bytes dropped (limit 100)",
        "unreadable line of 8 bytes dropped (not JSON)",
        "line dropped: a JSON list, not an object",
    ]
    assert reader.take_errors() == []


def _supervisor(tmp_path) -> Supervisor:
    settings = Settings(
        config_dir=tmp_path,
        mongodb_url="mongodb://unused",
        health_host="127.0.0.1",
        health_port=0,
        sync_interval_minutes=1.0,
        log_format="json",
    )
    return Supervisor(settings)


def test_an_oversized_heartbeat_is_logged_and_counts_as_a_sign_of_life(tmp_path, caplog):
    sup = _supervisor(tmp_path)
    child = Child("sync-ab", {}, "d", 3.0)
    read_fd, write_fd = os.pipe()
    os.set_blocking(read_fd, False)
    child.fd = read_fd
    big = encode({"type": "heartbeat", "state": "running", "last_cycle": {"created": ["X-1"] * 200_000}})
    assert len(big) > 1 << 20
    try:
        with caplog.at_level(logging.ERROR, logger="jirasync.supervisor"):
            written = 0
            while written < len(big):  # the pipe holds 64 KiB: feed the reader as a worker would
                written += os.write(write_fd, big[written : written + 60_000])
                sup.read_heartbeats(child)
        dropped = [r for r in caplog.records if r.getMessage() == "heartbeat from worker dropped"]
        assert len(dropped) == 1 and "dropped (limit" in dropped[0].error and dropped[0].pair == "sync-ab"
        assert child.last_heartbeat is not None, "the worker spoke: it is not hung"
        os.write(write_fd, encode({"type": "heartbeat", "state": "running"}))
        sup.read_heartbeats(child)
        assert child.state == "running"
    finally:
        os.close(write_fd)
        if child.fd is not None:
            os.close(child.fd)


@pytest.mark.parametrize(
    ("code", "hung", "own"),
    [
        (1, False, True),  # crashed: its own failure
        (2, False, True),  # refused its config
        (-signal.SIGSEGV, False, True),  # a fault signal is raised by the process itself
        (-signal.SIGABRT, False, True),
        (0, True, True),  # hung: we stopped it, it obeyed
        (-signal.SIGKILL, True, True),  # hung: we killed it
        (-signal.SIGKILL, False, False),  # killed from outside (operator, orchestrator, OOM killer)
        (-signal.SIGTERM, False, False),
        (0, False, False),  # asked to stop from outside, stopped cleanly
    ],
)
def test_own_failures_and_kills_from_outside(code, hung, own):
    assert own_failure(code, hung) is own


def test_kills_from_outside_never_mark_failed_and_restart_promptly(tmp_path):
    sup = _supervisor(tmp_path)
    child = Child("sync-ab", {}, "d", 3.0)
    for n in range(20):
        child.started_at = float(n)
        sup._schedule_restart(child, float(n) + 1.0, own=False)
        assert child.state == "backoff" and child.next_start - (n + 1.0) <= 2.0 * 1.2
    assert child.fast_failures == 0 and child.restarts == 20
    for n in range(6):  # failing on its own, fast: failed after 5, then retried slowly
        child.started_at = 100.0 + n
        sup._schedule_restart(child, 100.5 + n, own=True)
        assert child.state == ("failed" if n == 5 else "backoff")
    assert child.next_start == pytest.approx(105.5 + 60.0)


def test_grants_after_the_config_reach_the_worker_even_in_the_same_read():
    """The supervisor may lend tokens right behind the config: neither is lost."""
    import threading

    from jirasync_cli.runtime.ipc import WorkerChannel
    from jirasync_cli.runtime.supervisor import config_digest

    stdin_r, stdin_w = os.pipe()
    out_r, out_w = os.pipe()
    channel = WorkerChannel(out_w, stdin_r)
    os.write(stdin_w, encode({"type": "config", "config": {}}) + encode({"type": "grant", "n": 5}))
    assert channel.receive_config()["type"] == "config"
    got, gone = [], threading.Event()
    channel.watch_parent(gone.set, got.append)
    os.write(stdin_w, encode({"type": "grant", "n": 3}))
    os.close(stdin_w)
    assert gone.wait(5), "EOF still means the supervisor is gone"
    assert got == [{"type": "grant", "n": 5}, {"type": "grant", "n": 3}]
    os.close(stdin_r)
    os.close(out_r)
    message = {"type": "config", "config": {"name": "sync-ab"}, "interval_seconds": 60.0}
    assert config_digest(message) != config_digest({**message, "interval_seconds": 30.0})
