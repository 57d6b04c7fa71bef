"""Restart latency: SIGKILL of a worker → its replacement running; SIGSTOP (hung) → restarted.

"Running" is the replacement's first heartbeat stored in MongoDB with state "running"
(written when it holds the lease and starts its first cycle), timed against the kill.

    python bench/restart.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import time
from datetime import UTC

from common import figure, save
from deployment import deployment
from pymongo import MongoClient

from jirasync_cli.runtime.timing import heartbeat_timeout


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    results = []
    interval_minutes = 0.05  # 3 s: heartbeat timeout 9.5 s, so the hung case is quick to measure
    with deployment(3, interval_minutes) as dep:
        db = MongoClient(dep.mongo_url)[f"bench_1_{os.getpid()}"]
        spawned, running = [], []
        for _ in range(args.rounds):
            old = dep.children()["sync-1"]
            killed = time.time()
            os.kill(old, signal.SIGKILL)
            new = None
            while new is None:
                pid = dep.children().get("sync-1")
                if pid not in (None, old):
                    new, seen = pid, time.time()
                time.sleep(0.005)
            spawned.append(seen - killed)
            while True:
                doc = db.workers.find_one({"pid": new, "state": "running"})
                if doc:
                    ts = doc["ts"] if doc["ts"].tzinfo else doc["ts"].replace(tzinfo=UTC)
                    running.append(ts.timestamp() - killed)
                    break
                time.sleep(0.01)
            # A worker that ran 30 s is "stable": its next crash restarts after the first
            # backoff step again (0.1 s). Quicker rounds would measure the growing backoff.
            time.sleep(31)
        results.append(figure("SIGKILL → replacement process started (median)", statistics.median(spawned), "s"))
        results.append(figure("SIGKILL → replacement running (median)", statistics.median(running), "s", "<= 1"))
        results.append(figure("SIGKILL → replacement running (max)", max(running), "s", "<= 1"))

        timeout = heartbeat_timeout(interval_minutes * 60)
        old = dep.children()["sync-2"]
        stopped = time.time()
        os.kill(old, signal.SIGSTOP)
        while dep.children().get("sync-2") in (None, old):
            time.sleep(0.01)
        restarted = time.time() - stopped
        results.append(
            figure(
                f"hung (SIGSTOP) → restarted; heartbeat timeout {timeout:.1f} s",
                restarted,
                "s",
                f"<= {timeout + 1:.1f}",
            )
        )
    save(results)


if __name__ == "__main__":
    main()
