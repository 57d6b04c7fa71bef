"""Memory and CPU at rest: RSS of an idle worker and of the supervisor; CPU of N idle pairs.

Starts `jirasync supervise` over N pairs (default 50) with the default 5-minute interval,
waits until every worker has done its first cycle, then measures for a while.

    python bench/resources.py [--pairs 50] [--window 60]
"""

from __future__ import annotations

import argparse
import statistics
import time
import urllib.request

import psutil
from common import figure, save
from deployment import deployment


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=50)
    parser.add_argument("--window", type=float, default=60.0)
    args = parser.parse_args()
    results = []
    with deployment(args.pairs, interval_minutes=5.0) as dep:
        time.sleep(5)  # let start-up settle
        procs = [psutil.Process(dep.proc.pid), *psutil.Process(dep.proc.pid).children()]
        workers = procs[1:]

        def cpu(p: psutil.Process) -> float:
            return sum(p.cpu_times()[:2])

        c0, t0 = [cpu(p) for p in procs], time.monotonic()
        time.sleep(args.window)
        c1, t1 = [cpu(p) for p in procs], time.monotonic()
        used = [b - a for a, b in zip(c0, c1, strict=True)]
        with urllib.request.urlopen(dep.url.replace("/health", "/metrics"), timeout=5) as r:
            r.read()  # the supervisor's memory includes serving metrics
        rss = [p.memory_info().rss / 1e6 for p in workers]
        results.append(figure("idle worker RSS (median)", statistics.median(rss), "MB", "<= 45"))
        results.append(figure("idle worker RSS (max)", max(rss), "MB"))
        results.append(
            figure("idle worker USS (median)", statistics.median(p.memory_full_info().uss / 1e6 for p in workers), "MB")
        )
        results.append(figure("supervisor RSS", procs[0].memory_info().rss / 1e6, "MB", "<= 35"))
        results.append(
            figure(f"CPU of {args.pairs} idle pairs + supervisor", 100 * sum(used) / (t1 - t0), "% core", "< 2")
        )
        results.append(figure("  supervisor alone", 100 * used[0] / (t1 - t0), "% core"))
        results.append(figure("  one worker (median)", 100 * statistics.median(used[1:]) / (t1 - t0), "% core"))
    save(results)


if __name__ == "__main__":
    main()
