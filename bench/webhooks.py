"""Change-to-mirror latency with webhooks vs polling; Jira requests per hour of an idle pair.

Real processes: `jirasync supervise` (one pair), the emulator (Cloud) delivering signed
webhooks to it, the embedded MongoDB; the pair's webhook registered by
`jirasync webhooks register`. A change is a user issue moved to Will Do; it is mirrored
when its dev issue exists and is linked.

* webhooks on (safety-net poll every 30 min): measured over ``--changes`` changes;
* polling: measured at a 3 s interval, then for 1 and 5 minutes computed from the measured
  cycle time, as waiting hours for a p99 is impractical: a change lands at a uniformly random
  point of the interval, so latency = U(0, interval) + cycle (p50 = interval/2 + cycle,
  p99 = 0.99 x interval + cycle); the 3 s run checks that model against a measurement;
* searches per change with webhooks (the issues are created in one burst first, then escalated
  one after another): a recheck due while the next change's event arrives becomes that
  event's cycle, so a stream of changes costs about one search each, plus one recheck at the end;
* Jira requests per hour of an idle pair: idle polls counted in the emulator's log at a
  short interval, scaled to one per 30 min (webhooks on) and one per 5 min (polling alone).

    python bench/webhooks.py [--changes 50] [--poll-changes 20]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from common import emulator, figure, mongo, save

from tests.helpers import wait_for
from tests.webhooks.supervised import cycles, dev_partner, hooked_config, settle, start

DEBOUNCE = 0.3  # hooked_config's default, the pair's webhooks.debounceSeconds


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def mirror_latencies(emu, sup, n: int, prefix: str, spread: float = 0.0) -> list[float]:
    """Latency of ``n`` escalations, one at a time; with ``spread``, each waits a random
    0..spread seconds first (so polls see changes at random points of their interval)."""
    import random

    rng = random.Random(7)
    keys = [emu.create_issue("USER", f"{prefix} {i}", as_account="alice") for i in range(n)]
    settle(sup, "sync-ab", quiet=1.0, timeout=120)
    latencies = []
    for key in keys:
        if spread:
            time.sleep(rng.uniform(0, spread))
        began = time.monotonic()
        emu.transition(key, "Will Do", as_account="alice")
        wait_for(lambda k=key: dev_partner(emu, k), 60 + spread, interval=0.01, message=f"{key} mirrored")
        latencies.append(time.monotonic() - began)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--changes", type=int, default=50)
    parser.add_argument("--poll-changes", type=int, default=20)
    parser.add_argument("--idle-seconds", type=float, default=30.0)
    args = parser.parse_args()
    results = []
    with mongo() as server, tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        emu = emulator("cloud")
        emu2 = emulator("cloud")  # the polling pair's own site: no webhook registered there
        sups = []
        try:
            sup = start(
                emu, server.url, work / "hooks", work / "hooks.log", [hooked_config(emu, "sync-ab", "USER", "DEV")]
            )
            sups.append(sup)
            log_start = len(emu.request_log)
            lat = mirror_latencies(emu, sup, args.changes, "Webhook")
            settle(sup, "sync-ab", quiet=2.5, timeout=60)  # the last recheck too
            searches = sum("/search" in e.path for e in emu.request_log[log_start:])
            results.append(
                figure(f"webhooks: change -> mirror p50 ({args.changes} changes)", statistics.median(lat), "s")
            )
            results.append(figure("webhooks: change -> mirror p99", percentile(lat, 0.99), "s", "<= 2"))
            results.append(
                figure(
                    "webhooks: searches per change (creation, escalation, rechecks)",
                    searches / args.changes,
                    "requests",
                )
            )
            # The cycle term of the polling model: from the cycle's start to the mirror, i.e. the
            # webhook latency less the debounce the cycle waited (delivery, a few ms, included).
            cycle = max(0.0, statistics.median(lat) - DEBOUNCE)
            results.append(figure("cycle start -> mirror (webhook p50 less the debounce)", cycle, "s"))
            sup.stop()
            sup.kill_leftovers()

            sups.append(
                poll := start(
                    emu2,
                    server.url,
                    work / "poll",
                    work / "poll.log",
                    [hooked_config(emu2, "sync-ab", "USER", "DEV", enabled=False, syncIntervalMinutes=0.05)],
                    register=False,
                )
            )
            interval = 3.0
            lat = mirror_latencies(emu2, poll, args.poll_changes, "Polled", spread=interval)
            results.append(
                figure(f"polling every 3 s: p50 measured ({args.poll_changes} changes)", statistics.median(lat), "s")
            )
            results.append(figure("polling every 3 s: p50 model (interval/2 + cycle)", interval / 2 + cycle, "s"))
            results.append(figure("polling every 3 s: p99 measured", percentile(lat, 0.99), "s"))
            results.append(
                figure("polling every 3 s: p99 model (0.99 x interval + cycle)", 0.99 * interval + cycle, "s")
            )
            for minutes in (1, 5):
                results.append(figure(f"polling every {minutes} min: p50 (model)", 30 * minutes + cycle, "s"))
                results.append(figure(f"polling every {minutes} min: p99 (model)", 0.99 * 60 * minutes + cycle, "s"))

            # Idle: nothing changes; count what the 3 s polls ask of Jira.
            emu2.advance(600)  # past the search overlap window, as a long-idle pair is
            time.sleep(5)  # let the polls that still saw the last changes pass
            mark = cycles(poll, "sync-ab")
            wait_for(lambda: cycles(poll, "sync-ab") > mark, 30, interval=0.02, message="a poll")
            before, log_start = cycles(poll, "sync-ab"), len(emu2.request_log)
            wanted = before + max(2, int(args.idle_seconds / interval))
            wait_for(lambda: cycles(poll, "sync-ab") >= wanted, args.idle_seconds * 3, interval=0.02, message="polls")
            polls = cycles(poll, "sync-ab") - before
            requests = len(emu2.request_log) - log_start
            per_poll = requests / max(1, polls)
            results.append(figure(f"Jira requests per idle poll ({polls} polls)", per_poll, "requests", "1"))
            hooks_hour = per_poll * 60 / 30
            poll_hour = per_poll * 60 / 5
            results.append(figure("idle pair, webhooks on (poll 30 min): requests/hour", hooks_hour, "requests"))
            results.append(figure("idle pair, polling every 5 min: requests/hour", poll_hour, "requests"))
            results.append(
                figure("  ratio polling 5 min / webhooks", poll_hour / hooks_hour if hooks_hour else 0.0, "x")
            )
        finally:
            for sup in sups:
                sup.stop()
                sup.kill_leftovers()
            emu.stop()
            emu2.stop()
    save(results)


if __name__ == "__main__":
    main()
