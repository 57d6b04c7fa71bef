"""`jirasync demo` end to end: everything it starts, it also stops."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from jirasync_cli.embedded_mongo import free_port

pytestmark = pytest.mark.slow


def _demo(*args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIRASYNC_")}
    return subprocess.Popen([sys.executable, "-m", "jirasync_cli", "demo", "--health-port", str(free_port()), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**env, "COLUMNS": "160"},
                            start_new_session=True)


def _descendants_gone(pid_list: list[int]) -> bool:
    return not [p for p in pid_list if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]


def test_demo_syncs_and_summarises_without_duplicates():
    proc = _demo("--duration", "14", "--pairs", "2")
    children: list[int] = []
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline and proc.poll() is None:
        children = [c.pid for c in psutil.Process(proc.pid).children(recursive=True)]
        time.sleep(0.5)
    out, _ = proc.communicate(timeout=90)
    assert proc.returncode == 0, out
    assert "demo summary" in out and "created" in out
    summary = out[out.index("demo summary"):]
    rows = [line for line in summary.splitlines() if line.startswith("│ sync-")]
    assert len(rows) == 2
    for row in rows:
        cells = [c.strip() for c in row.strip("│ ").split("│")]
        assert int(cells[1]) >= 3, row  # three issues start in Will Do
        assert cells[2] == "0", "no duplicate dev issues"
    assert "Jira emulator: http://127.0.0.1:" in out and "/health" in out
    assert children and _descendants_gone(children), "supervisor, workers and MongoDB stopped"


def test_demo_stops_cleanly_on_ctrl_c():
    proc = _demo("--duration", "120")
    time.sleep(10)
    children = [c.pid for c in psutil.Process(proc.pid).children(recursive=True)]
    assert len(children) >= 3  # embedded MongoDB, supervisor, its workers
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0 and "stopping" in out and "Traceback" not in out
    assert _descendants_gone(children)
