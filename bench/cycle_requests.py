"""Jira requests per idle incremental cycle and per synced change; CPU per idle cycle.

A long-lived runtime (as a worker has) against the emulator in its own process with
injected latency. Idle: nothing changed since the last cycle. Changes: dev issues moving
to Done (one status sync each) and customer comments (one mirror each).

    python bench/cycle_requests.py [--issues 200] [--changes 50] [--latency-ms 20] [--baseline REV]

With ``--baseline REV`` it runs once more on the ``src`` tree of REV (a previous release).
"""

from __future__ import annotations

import argparse
import time

from common import emulator_jira, figure, mongo, pair_config, save, settings
from emuproc import RemoteEmulator

from jirasync_cli.jira.models import SOURCE_PROPERTY
from jirasync_cli.runtime.wiring import open_runtime
from jirasync_cli.sync.cycle import run_cycle

WRITE_METHODS = {"POST", "PUT", "DELETE"}
# One write per change when the rules ask for one thing each (no template comments).
RULES = [
    {
        "id": "escalate",
        "sourceStatus": "Will Do",
        "syncDirection": "user_to_dev",
        "actions": {"createIssue": True, "addCrossLink": True},
    },
    {
        "id": "done",
        "sourceStatus": "Done",
        "syncDirection": "dev_to_user",
        "actions": {"syncStatus": True, "targetStatus": "Resolved"},
    },
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--issues", type=int, default=200)
    parser.add_argument("--changes", type=int, default=50)
    parser.add_argument("--idle-cycles", type=int, default=20)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--baseline", default=None, help="git revision to compare with, in the same run")
    args = parser.parse_args()
    if args.baseline:
        import os
        import subprocess
        import sys

        from deployment import baseline_tree

        argv = [a for i, a in enumerate(sys.argv[1:]) if a != "--baseline" and sys.argv[i] != "--baseline"]
        with baseline_tree(args.baseline) as code:
            print(f"-- baseline {args.baseline}", flush=True)
            subprocess.run([sys.executable, __file__, *argv], env={**os.environ, "PYTHONPATH": str(code)}, check=True)
        print("-- this tree", flush=True)
    results = []
    with mongo() as server:
        emu = RemoteEmulator()
        for i in range(args.issues):
            emu.create_issue("USER", f"Customer issue {i}", status="Will Do" if i < args.changes * 2 else "Open")
        emu.faults(latency_ms=args.latency_ms)
        cfg = pair_config(
            emu,
            rules=RULES,
            jira=emulator_jira(emu, maxRequestsPerSecond=1000),
        )
        rt = open_runtime(cfg, settings(server.url))
        run_cycle(rt)  # initial sync: creates dev issues
        run_cycle(rt)  # sees its own writes once (their `updated` moved)
        # Idle means nothing changed for a while: move Jira's clock past the overlap window.
        emu.call("POST", "/clock", {"advance_seconds": 600})
        run_cycle(rt)

        emu.clear_requests()
        cpu, wall = time.process_time(), time.perf_counter()
        counted = sum(run_cycle(rt).jira_requests for _ in range(args.idle_cycles))
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        idle = emu.requests()
        results.append(figure("Jira requests per idle cycle", len(idle) / args.idle_cycles, "requests", "1"))
        results.append(
            figure("  as the cycle reports count them", counted / args.idle_cycles, "requests", "= the line above")
        )
        results.append(figure("  of which writes", sum(e["method"] in WRITE_METHODS for e in idle), "requests", "0"))
        results.append(figure("CPU per idle cycle (jirasync process)", 1000 * cpu / args.idle_cycles, "ms"))
        results.append(figure("wall time per idle cycle", 1000 * wall / args.idle_cycles, "ms"))

        devs = [d for d in emu.issues("DEV") if SOURCE_PROPERTY in (d.get("properties") or {})][: args.changes]
        users = [d["properties"][SOURCE_PROPERTY]["userKey"] for d in devs]
        for dev in devs:
            for status in ("In Progress", "In Review", "Done"):
                emu.transition(dev["key"], status)
        for key in users:
            emu.comment(key, "Any news? We are blocked.")
        changes = len(devs) + len(users)
        emu.clear_requests()
        report = run_cycle(rt)
        synced = emu.requests()
        writes = [e for e in synced if e["method"] in WRITE_METHODS]
        results.append(
            figure(
                "requests while syncing changes: Jira's log / cycle report",
                len(synced) / report.jira_requests,
                "x",
                "1",
            )
        )
        print("  by kind:", report.summary()["requestsByKind"], flush=True)
        issue_gets = [
            e
            for e in synced
            if e["method"] == "GET" and "/issue/" in e["path"] and not e["path"].endswith("/transitions")
        ]
        lookups = [e for e in synced if e["method"] == "GET" and e["path"].endswith("/transitions")]
        results.append(
            figure(f"writes per synced change ({changes} changes)", len(writes) / changes, "writes", "<= 1.2")
        )
        results.append(figure("issue GETs while syncing changes", len(issue_gets), "requests", "0"))
        results.append(figure("transition lookups (cached per workflow step)", len(lookups), "requests"))
        results.append(figure("all requests per synced change", len(synced) / changes, "requests"))
        assert not report.errors, report.errors

        # The cycle right after that burst of writes: the search returns every issue written
        # to (their `updated` moved); nothing else should follow from our own writes.
        emu.clear_requests()
        cpu = time.process_time()
        after = run_cycle(rt)
        cpu = time.process_time() - cpu
        results.append(
            figure(f"cycle after a burst of {len(writes)} writes: Jira requests", len(emu.requests()), "requests")
        )
        results.append(
            figure("  issues planned again (seen, not unchanged)", after.issues_seen - after.unchanged, "issues", "0")
        )
        results.append(figure("  CPU of that cycle", 1000 * cpu, "ms"))
        rt.jira.close()
        emu.stop()
    save(results)


if __name__ == "__main__":
    main()
