"""The supervisor's loop costs O(1) per event: deadlines wait in a heap, re-armed lazily."""

from __future__ import annotations

import subprocess
import sys
import time

from jirasync_cli.runtime.supervisor import Child, Supervisor
from jirasync_cli.settings import Settings
from tests.helpers import wait_for


def _supervisor(tmp_path) -> Supervisor:
    return Supervisor(
        Settings(
            config_dir=tmp_path,
            mongodb_url="mongodb://unused",
            health_host="127.0.0.1",
            health_port=0,
            sync_interval_minutes=1.0,
            log_format="json",
        )
    )


def _sleeper() -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"], stdin=subprocess.PIPE, start_new_session=True
    )


def test_heartbeats_push_no_timers_and_a_silence_deadline_is_rearmed_from_the_last_one(tmp_path):
    sup = _supervisor(tmp_path)
    idle = [Child(f"idle-{i}", {}, "d", 300.0) for i in range(500)]
    for child in idle:  # many children, none due: not one of them is looked at below
        sup.children[child.name] = child
        sup._at(time.monotonic() + 3600, "silence", child)
    proc = _sleeper()
    child = Child("sync-ab", {}, "d", 3.0, proc=proc)
    sup.children[child.name], sup.by_pid[proc.pid] = child, child
    child.started_at = time.monotonic() - 100
    try:
        sup._at(time.monotonic() - 1, "silence", child)  # its first deadline has come...
        for _ in range(1000):  # ...but it has been heartbeating all along (no timer per heartbeat)
            child.last_heartbeat = time.monotonic()
        assert len(sup.timers) == 501
        sup.run_timers()
        assert child.hung_since is None, "not hung: it spoke within its timeout"
        assert len(sup.timers) == 501, "re-armed once, from its last heartbeat"
        when = min(t[0] for t in sup.timers if t[3] is child)
        assert abs(when - (child.last_heartbeat + child.timeout)) < 0.01
        child.last_heartbeat = time.monotonic() - child.timeout - 1  # now silent for too long
        sup._at(time.monotonic() - 1, "silence", child)
        sup.run_timers()
        assert child.hung_since is not None
        wait_for(lambda: (sup.reap(), child.proc is None)[1], 10, message="hung child stopped and reaped")
        assert child.proc is None and child.state == "backoff" and child.last_exit == "killed by SIGTERM"
        assert any(t[2] == "start" and t[3] is child for t in sup.timers), "its restart waits in the heap"
    finally:
        if proc.returncode is None:
            proc.kill()
            proc.wait()


def test_stale_timers_of_a_restarted_child_are_dropped(tmp_path):
    sup = _supervisor(tmp_path)
    child = Child("sync-ab", {}, "d", 3.0)
    sup.children[child.name] = child
    sup._at(time.monotonic() - 1, "kill", child)
    child.gen += 1  # it exited and was started again since
    sup.run_timers()  # the old kill must not hit the new process
    assert child.hung_killed is False and sup.timers == []


def test_a_child_reaped_elsewhere_is_still_noticed_by_the_periodic_sweep(tmp_path):
    sup = _supervisor(tmp_path)
    proc = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"], stdin=subprocess.PIPE)
    child = Child("sync-ab", {}, "d", 3.0, proc=proc)
    sup.children[child.name], sup.by_pid[proc.pid] = child, child
    proc.wait()  # its exit status is gone: waitpid(-1) will not report it
    sup.reap()
    assert child.proc is proc
    sup.reap(sweep=True)
    assert child.proc is None and child.last_exit == "exit code 3" and child.state == "backoff"
