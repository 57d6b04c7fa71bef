"""CPU of the supervisor alone with N idle pairs (default 50, 100, 200).

The workers are stand-ins that speak the worker's side of the pipe protocol and nothing
else: they read their config, then send a heartbeat of a real worker's size and shape every
heartbeat period (15 s at the default 5-minute interval) and exit when the supervisor goes.
They cost a few MB each, so 200 pairs fit a laptop; the supervisor cannot tell them from
real idle workers. With `--baseline REV` the same runs use the supervisor of REV.

    python bench/supervisor_cpu.py [--pairs 50 100 200] [--window 30] [--baseline 658d9d4]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
from common import figure, save
from deployment import baseline_tree

STAND_IN = r"""
import json, os, sys, threading, time
fd = int(sys.argv[-1])
out = os.fdopen(fd, "wb", buffering=0)
data = b""
while b"\n" not in data:
    chunk = os.read(0, 65536)
    if not chunk:
        sys.exit(2)
    data += chunk
config = json.loads(data.split(b"\n", 1)[0])
period = max(1.0, min(15.0, float(config["interval_seconds"]) / 2))
def watch():
    while os.read(0, 4096):
        pass
    os._exit(0)
threading.Thread(target=watch, daemon=True).start()
cycle = {"result": "ok", "mode": "incremental", "startedAt": "2026-11-30T08:00:00.000000+00:00",
         "durationSeconds": 0.05, "issuesSeen": 0, "actions": {}, "errors": 0}
n = 0
while True:
    n += 1
    beat = {"type": "heartbeat", "pid": os.getpid(), "state": "running", "cycles": n, "failures": 0,
            "last_success": time.time(), "busy_seconds": None,
            "jira_requests": {"other": 2, "search": n}, "ts": time.time(), "error": None, "last_cycle": cycle}
    out.write((json.dumps(beat, separators=(",", ":")) + "\n").encode())
    time.sleep(period)
"""

LAUNCH = r"""
import sys
from pathlib import Path
from jirasync_cli.settings import Settings
from jirasync_cli.runtime.supervisor import Supervisor
settings = Settings(Path(sys.argv[1]), "mongodb://127.0.0.1:9", "127.0.0.1", 0, 5.0, "WARNING", "json", 30.0)
sys.exit(Supervisor(settings, worker_command=[sys.executable, "-S", sys.argv[2], "run-worker"]).run())
"""


def measure(pairs: int, window: float, code: Path | None, interval_minutes: float = 5.0) -> float:
    from jirasync_cli.doubles.configs import sync_config

    work = Path(tempfile.mkdtemp(prefix="jirasync-supcpu-"))
    config_dir = work / "config"
    config_dir.mkdir()
    for i in range(pairs):
        doc = sync_config(f"sync-{i}", "http://127.0.0.1:9", f"U{i}", f"D{i}", syncIntervalMinutes=interval_minutes)
        (config_dir / f"sync-{i}.json").write_text(json.dumps(doc))
    stand_in = work / "stand_in.py"
    stand_in.write_text(STAND_IN)
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIRASYNC_")}
    if code is not None:
        env["PYTHONPATH"] = str(code)
    log = open(work / "supervisor.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-c", LAUNCH, str(config_dir), str(stand_in)], env=env, stdout=log, stderr=log
    )
    try:
        sup = psutil.Process(proc.pid)
        deadline = time.monotonic() + 120
        while len(sup.children()) < pairs:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise SystemExit(f"supervisor did not start {pairs} stand-ins; see {work}/supervisor.log")
            time.sleep(0.2)
        time.sleep(min(20.0, window))  # start-up settles, every stand-in has sent heartbeats
        c0, t0 = sum(sup.cpu_times()[:2]), time.monotonic()
        time.sleep(window)
        c1, t1 = sum(sup.cpu_times()[:2]), time.monotonic()
        return 100 * (c1 - c0) / (t1 - t0)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
        log.close()
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, nargs="+", default=[50, 100, 200])
    parser.add_argument("--window", type=float, default=30.0)
    parser.add_argument("--baseline", default=None, help="git revision to compare with, in the same run")
    parser.add_argument(
        "--interval-minutes",
        type=float,
        default=5.0,
        help="the pairs' interval (heartbeats every half of it, 1 to 15 s)",
    )
    args = parser.parse_args()
    results = []
    runs = [("", None)] + ([(f" [baseline {args.baseline}]", args.baseline)] if args.baseline else [])
    for label, rev in runs:
        with baseline_tree(rev) as code:
            for n in args.pairs:
                target = "<= 0.5" if n == 200 and not rev and args.interval_minutes == 5.0 else ""
                beat = max(1.0, min(15.0, args.interval_minutes * 30))
                results.append(
                    figure(
                        f"supervisor CPU, {n} idle pairs, a heartbeat each per {beat:g} s{label}",
                        measure(n, args.window, code, args.interval_minutes),
                        "% core",
                        target,
                    )
                )
    save(results)


if __name__ == "__main__":
    main()
