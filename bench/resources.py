"""Memory and CPU at rest: RSS of an idle worker and of the supervisor; CPU of N idle pairs.

Starts `jirasync supervise` over N pairs (default 50) with the default 5-minute interval,
waits until every worker has done its first cycle, then measures for a while.

    python bench/resources.py [--pairs 50] [--window 60]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psutil

from common import ROOT, figure, mongo, save
from emuproc import RemoteEmulator

from jirasync_cli.embedded_mongo import free_port


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=50)
    parser.add_argument("--window", type=float, default=60.0)
    args = parser.parse_args()
    keys = [(f"U{i}", f"D{i}") for i in range(args.pairs)]
    results = []
    with mongo() as server:
        emu = RemoteEmulator(pairs=tuple(keys))
        workdir = Path(tempfile.mkdtemp(prefix="jirasync-bench-"))
        config_dir = workdir / "config"
        config_dir.mkdir()
        sys.path.insert(0, str(ROOT))
        from tests.helpers import sync_config

        for i, (user, dev) in enumerate(keys):
            doc = sync_config(f"sync-{i}", emu.url, user, dev, database=f"bench_idle_{i}", syncIntervalMinutes=5)
            (config_dir / f"sync-{i}.json").write_text(json.dumps(doc))
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("JIRASYNC_")}
        env.update(JIRASYNC_MONGODB_URL=server.url, JIRASYNC_CONFIG_DIR=str(config_dir),
                   JIRASYNC_HEALTH_PORT=str(port), JIRASYNC_LOG_FORMAT="json")
        log = open(workdir / "supervisor.log", "wb")  # noqa: SIM115
        sup = subprocess.Popen([sys.executable, "-m", "jirasync_cli", "supervise"], env=env, stdout=log, stderr=log)
        try:
            deadline = time.monotonic() + 300
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as r:
                        doc = json.loads(r.read())
                    if len(doc["workers"]) == args.pairs and all(w["cycles"] >= 1 for w in doc["workers"]):
                        break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit("workers did not all finish a first cycle")
                time.sleep(1)
            time.sleep(5)  # let start-up settle
            procs = [psutil.Process(sup.pid), *psutil.Process(sup.pid).children()]
            workers = procs[1:]

            def cpu(p: psutil.Process) -> float:
                return sum(p.cpu_times()[:2])

            c0, t0 = [cpu(p) for p in procs], time.monotonic()
            time.sleep(args.window)
            c1, t1 = [cpu(p) for p in procs], time.monotonic()
            used = [b - a for a, b in zip(c0, c1, strict=True)]
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
                r.read()  # the supervisor's memory includes serving metrics
            rss = [p.memory_info().rss / 1e6 for p in workers]
            results.append(figure("idle worker RSS (median)", statistics.median(rss), "MB", "<= 45"))
            results.append(figure("idle worker RSS (max)", max(rss), "MB"))
            results.append(figure("idle worker USS (median)",
                                  statistics.median(p.memory_full_info().uss / 1e6 for p in workers), "MB"))
            results.append(figure("supervisor RSS", procs[0].memory_info().rss / 1e6, "MB", "<= 35"))
            results.append(figure(f"CPU of {args.pairs} idle pairs + supervisor", 100 * sum(used) / (t1 - t0),
                                  "% core", "< 2"))
            results.append(figure("  supervisor alone", 100 * used[0] / (t1 - t0), "% core"))
            results.append(figure("  one worker (median)", 100 * statistics.median(used[1:]) / (t1 - t0), "% core"))
        finally:
            sup.send_signal(signal.SIGTERM)
            sup.wait(60)
            emu.stop()
    save(results)


if __name__ == "__main__":
    main()
