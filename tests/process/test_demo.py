"""`jirasync demo` end to end: everything it starts, it also stops."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from jirasync_cli.doubles.mongo import free_port
from tests.fixtures.supervisor import descendants, kill_all
from tests.helpers import wait_for

pytestmark = pytest.mark.slow


ROOT = Path(__file__).resolve().parents[2]
VENV = Path(sys.executable).parent.parent


def _start(command: list[str]) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIRASYNC_")}
    env.update(COLUMNS="160", JIRASYNC_VENV=str(VENV))
    proc = subprocess.Popen(
        [*command, "--health-port", str(free_port())],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        start_new_session=True,
        cwd=ROOT,
    )
    _started.append(proc)
    return proc


_started: list[subprocess.Popen[str]] = []


@pytest.fixture(autouse=True)
def _nothing_outlives_the_test():
    """Even when a test fails or is interrupted, no demo, MongoDB or supervisor is left behind."""
    yield
    while _started:
        proc = _started.pop()
        tree = descendants(proc.pid)
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()
        kill_all(tree)


def _demo(*args: str) -> subprocess.Popen[str]:
    return _start([sys.executable, "-m", "jirasync_cli", "demo", *args])


def _descendants_gone(pid_list: list[int]) -> bool:
    return not [p for p in pid_list if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]


def _wait_for_stack(proc: subprocess.Popen[str], count: int) -> list[int]:
    """Pids of the demo's process tree once it has ``count`` descendants (MongoDB, supervisor, workers)."""

    def tree():
        assert proc.poll() is None, proc.communicate()[0]
        pids = [c.pid for c in descendants(proc.pid)]
        return pids if len(pids) >= count else None

    return wait_for(tree, 90, interval=0.5, message=f"{count} processes under the demo")


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
    summary = out[out.index("demo summary") :]
    rows = [line for line in summary.splitlines() if line.startswith("│ sync-")]
    assert len(rows) == 2
    for row in rows:  # the second pair's dev project is on a Data Center site (a cross-site pair)
        cells = [c.strip() for c in row.strip("│ ").split("│")]
        assert int(cells[1]) >= 3, row  # three issues start in Will Do
        assert cells[2] == "0", "no duplicate dev issues"
    assert "Jira emulator: http://127.0.0.1:" in out and "/health" in out
    assert "+ Data Center http://127.0.0.1:" in out and "(Data Center)" in out
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


def test_sigterm_stops_the_demo_and_everything_it_started_and_prints_the_summary():
    proc = _demo("--duration", "120", "--pairs", "1")
    tree = _wait_for_stack(proc, 3)  # MongoDB, supervisor, one worker
    time.sleep(2)
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    assert "demo summary" in out and "Traceback" not in out
    assert _descendants_gone(tree), "MongoDB, supervisor and workers stopped"


def test_ctrl_c_on_dev_py_demo_stops_the_whole_tree_without_a_traceback():
    """SIGINT to tools/dev.py alone (no terminal sends it to the group): it must pass it on and wait."""
    proc = _start([sys.executable, str(ROOT / "tools" / "dev.py"), "demo", "--duration", "120", "--pairs", "1"])
    tree = _wait_for_stack(proc, 4)  # jirasync demo, MongoDB, supervisor, one worker
    time.sleep(2)
    os.kill(proc.pid, signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130, out
    assert "Traceback" not in out and "KeyboardInterrupt" not in out
    assert "stopping" in out and "demo summary" in out
    assert _descendants_gone(tree), "nothing dev.py started survives it"
