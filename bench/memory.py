"""Worker memory through an initial sync: peak RSS while it runs, RSS once idle again.

For each project size a supervised worker (one pair, `jirasync supervise`) syncs a user
project of N issues from scratch (a share of them escalated: one dev issue, link and
comment each), then runs one more cycle (the incremental one that sees its own writes).
Its RSS is sampled every 50 ms. The reference is the idle RSS of the same worker after
the smallest project's sync; the target is a peak <= 1.5x that, and idle again after.
Jira is the emulator in its own process; MongoDB the embedded server.

    python bench/memory.py [--sizes 1000,5000,30000] [--escalated 0.1] [--baseline REV]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import psutil
from common import ROOT, figure, mongo, save
from deployment import baseline_tree, compile_bytecode
from emuproc import RemoteEmulator

from jirasync_cli.doubles.mongo import free_port


class Sampler(threading.Thread):
    """Peak RSS of the supervisor's worker children, sampled every 50 ms."""

    def __init__(self, supervisor: int) -> None:
        super().__init__(daemon=True)
        self.supervisor = supervisor
        self.peak = 0.0
        self.stop = threading.Event()

    def rss(self) -> float:
        try:
            return max((c.memory_info().rss / 1e6 for c in psutil.Process(self.supervisor).children()), default=0.0)
        except psutil.Error:
            return 0.0

    def run(self) -> None:
        while not self.stop.wait(0.05):
            self.peak = max(self.peak, self.rss())


def health(port: int) -> dict:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as r:
            return json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return json.loads(exc.read())


def wait_cycles(port: int, n: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            workers = health(port).get("workers") or []
            if workers and workers[0].get("cycles", 0) >= n:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the worker did not finish {n} cycle(s) in {timeout:.0f} s")


def seeded(path: Path, size: int, escalated: float) -> Path:
    """A state file with a user project of ``size`` issues (a share escalated), built in
    process: tens of thousands of creates over HTTP would take minutes."""
    from jirasync_cli.emulator import JiraEmulator, Workflow

    emu = JiraEmulator(mode="cloud", persist_path=path)
    emu.add_project("USER", workflow=Workflow.user_default())
    emu.add_project("DEV", workflow=Workflow.dev_default())
    triggered = int(size * escalated)
    for i in range(size):
        emu.create_issue(
            "USER",
            f"Customer issue {i}",
            f"Steps to reproduce {i}: open the page, press the button.",
            status="Will Do" if i < triggered else "Open",
        )
    emu.save()
    return path


def run(
    size: int, escalated: float, server, code: Path | None, interval_minutes: float
) -> tuple[float, float, float, float]:
    """(peak RSS during the initial sync, RSS idle after it, peak during the next cycle, RSS
    idle after that), MB."""
    sys.path.insert(0, str(ROOT))
    from tests.helpers import sync_config

    workdir = Path(tempfile.mkdtemp(prefix="jirasync-memory-"))
    emu = RemoteEmulator(persist=str(seeded(workdir / "jira.json", size, escalated)))
    try:
        config_dir = workdir / "config"
        config_dir.mkdir()
        doc = sync_config(
            "sync-memory",
            emu.url,
            "USER",
            "DEV",
            database=f"memory_{size}_{os.getpid()}",
            syncIntervalMinutes=interval_minutes,
        )
        doc["jira"]["maxRequestsPerSecond"] = 1000
        (config_dir / "sync-memory.json").write_text(json.dumps(doc))
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("JIRASYNC_")}
        env.update(
            JIRASYNC_MONGODB_URL=server.url,
            JIRASYNC_CONFIG_DIR=str(config_dir),
            JIRASYNC_HEALTH_PORT=str(port),
            JIRASYNC_HEALTH_HOST="127.0.0.1",
            JIRASYNC_LOG_FORMAT="json",
        )
        if code is not None:
            env["PYTHONPATH"] = str(code)
        compile_bytecode(code or ROOT / "src")
        with open(workdir / "supervisor.log", "wb") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "jirasync_cli", "supervise"], env=env, stdout=log, stderr=log
            )
            sampler = Sampler(proc.pid)
            sampler.start()
            try:
                wait_cycles(port, 1, timeout=3600)
                peak = sampler.peak
                time.sleep(3)
                idle = sampler.rss()
                sampler.peak = 0.0
                wait_cycles(port, 2, timeout=3600)
                next_peak = sampler.peak
                time.sleep(3)
                after = sampler.rss()
            finally:
                sampler.stop.set()
                proc.send_signal(signal.SIGTERM)
                proc.wait(60)
        return peak, idle, next_peak, after
    finally:
        emu.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,5000,30000")
    parser.add_argument("--escalated", type=float, default=0.1, help="share of issues that get a dev issue")
    parser.add_argument("--interval-minutes", type=float, default=0.5)
    parser.add_argument("--baseline", default=None, help="git revision to compare with, in the same run")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    results = []
    runs = [("", None)]
    if args.baseline:
        runs.append((f" [baseline {args.baseline}]", args.baseline))
    for label, rev in runs:
        with baseline_tree(rev) as code, mongo() as server:
            reference = None
            for size in sizes:
                peak, idle, next_peak, after = run(size, args.escalated, server, code, args.interval_minutes)
                reference = reference or idle
                results.append(figure(f"initial sync of {size:,} issues: peak worker RSS{label}", peak, "MB"))
                results.append(
                    figure(
                        f"  / idle RSS after the smallest sync ({reference:.1f} MB){label}",
                        peak / reference,
                        "x",
                        "<= 1.5",
                    )
                )
                results.append(figure(f"  idle after it{label}", idle, "MB"))
                results.append(figure(f"  peak during the next cycle (it sees our writes){label}", next_peak, "MB"))
                results.append(figure(f"  idle after the next cycle{label}", after, "MB"))
                results.append(
                    figure(
                        f"  highest / idle RSS after the smallest sync{label}",
                        max(peak, next_peak, after) / reference,
                        "x",
                        "<= 1.5",
                    )
                )
    save(results)


if __name__ == "__main__":
    main()
