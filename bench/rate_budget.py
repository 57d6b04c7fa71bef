"""One Jira site's rate budget under `supervise`: start-up of N pairs, one busy pair beside idle ones.

* start-up: `supervise` over N pairs on one site (default 50) until every pair's first
  cycle is done;
* a busy pair: its cycle with 5 escalations (create + comment each), alone on the site and
  beside N-1 idle pairs (default 5-minute interval: one search per 5 minutes each).

With `--baseline REV` the same runs use the `src` tree of REV (a previous release, e.g. the
commit before the shared budget) in the same run, for a ratio on the same machine.

    python bench/rate_budget.py [--pairs 50] [--latency-ms 20] [--baseline 658d9d4]
"""

from __future__ import annotations

import argparse
import os
import time

from common import figure, save
from deployment import baseline_tree, deployment

BUSY_INTERVAL_MINUTES = 0.05  # the busy pair cycles every 3 s, so its next cycle comes soon


def busy_cycle(pairs: int, latency_ms: float, code) -> tuple[float, float, float]:
    """(first cycles done after start, s; the workers' CPU until then, s; the busy pair's cycle
    with 5 escalations, s)."""
    with deployment(pairs, intervals={0: BUSY_INTERVAL_MINUTES}, code=code, latency_ms=latency_ms) as dep:
        emu = dep.emu
        cycles = next(w for w in dep.health()["workers"] if w["name"] == "sync-0")["cycles"]
        for i in range(5):
            emu.create_issue("U0", f"Escalation {i}", status="Will Do")
        doc = dep.wait(
            lambda d: (
                lambda w: (
                    w["cycles"] > cycles and (w["last_cycle"] or {}).get("actions", {}).get("create_issue", 0) == 5
                )
            )(next(w for w in d["workers"] if w["name"] == "sync-0")),
            timeout=600,
            poll=0.2,
        )
        worker = next(w for w in doc["workers"] if w["name"] == "sync-0")
        return dep.first_cycles_seconds, dep.first_cycles_worker_cpu, float(worker["last_cycle"]["durationSeconds"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=50)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--baseline", default=None, help="git revision to compare with, in the same run")
    args = parser.parse_args()
    results = []
    runs = [("", None)]
    if args.baseline:
        runs.append((f" [baseline {args.baseline}]", args.baseline))
    for label, rev in runs:
        with baseline_tree(rev) as code:
            _, _, alone = busy_cycle(1, args.latency_ms, code)
            startup, cpu, beside = busy_cycle(args.pairs, args.latency_ms, code)
        results.append(figure(f"start to every first cycle, {args.pairs} pairs{label}", startup, "s", "<= 5"))
        results.append(figure(f"  workers' CPU until then / {os.cpu_count()} cores{label}", cpu / os.cpu_count(), "s"))
        results.append(figure(f"busy pair's cycle (5 escalations), alone{label}", alone, "s"))
        results.append(figure(f"  beside {args.pairs - 1} idle pairs{label}", beside, "s"))
        results.append(figure(f"  ratio beside / alone{label}", beside / alone, "x", "<= 1.2"))
        time.sleep(1)
    save(results)


if __name__ == "__main__":
    main()
