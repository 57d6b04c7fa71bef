"""Initial sync of N user issues against the emulator with injected latency.

Prints jirasync's wall time, a bare `requests` script doing only the unavoidable calls
(the paged search, one create and one link per issue) with the same concurrency, and their ratio;
then the same against a site that allows `--site-rate` requests/s (the emulator's limit,
with Jira Cloud's early warnings): jirasync starts at its default 10 requests/s and adapts,
the bare script is paced at exactly the site's rate (the bound any tool has there); and the
429s each provoked, in all and after the first second.

    python bench/initial_sync.py [--issues 2000] [--latency-ms 20] [--site-issues 1000] [--site-rate 100]
"""

from __future__ import annotations

import argparse
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests
from common import emulator_jira, figure, mongo, pair_config, save, settings
from emuproc import RemoteEmulator, seed_escalations

from jirasync_cli.jira import pacing
from jirasync_cli.jira.models import SEARCH_FIELDS
from jirasync_cli.runtime.once import run_once


def created(report) -> int:
    """Dev issues the cycle created (a report lists only the first ones; older ones listed all)."""
    return report.counts()["created"] if hasattr(report, "counts") else len(report.created)


RULES = [
    {
        "id": "create",
        "sourceStatus": "Will Do",
        "syncDirection": "user_to_dev",
        "actions": {"createIssue": True, "addCrossLink": True},
    }
]


class Paced:
    """Exactly ``rate`` requests per second, shared by the bare script's threads."""

    def __init__(self, rate: float | None) -> None:
        self.rate, self.next, self.lock = rate, time.monotonic(), threading.Lock()

    def __call__(self) -> None:
        if not self.rate:
            return
        with self.lock:
            now = time.monotonic()
            slot = max(now, self.next)
            self.next = slot + 1.0 / self.rate
        if slot > now:
            time.sleep(slot - now)


def bare_script(url: str, n_expected: int, concurrency: int, rate: float | None = None) -> float:
    """Only what any tool must do: page through the issues, then create one dev issue each."""
    pace = Paced(rate)
    session = requests.Session()
    session.auth = ("bot@example.com", "emulator-token")
    adapter = requests.adapters.HTTPAdapter(pool_maxsize=concurrency + 2)
    session.mount("http://", adapter)
    started = time.perf_counter()
    issues, token = [], None
    while True:
        params = {
            "jql": 'project in ("USER", "DEV") ORDER BY created ASC',
            "maxResults": 100,
            "fields": ",".join(SEARCH_FIELDS),
        }
        if token:
            params["nextPageToken"] = token
        pace()
        page = session.get(f"{url}/rest/api/3/search/jql", params=params).json()
        issues.extend(page["issues"])
        token = page.get("nextPageToken")
        if page.get("isLast", True) or not token:
            break

    def create(issue):
        f = issue["fields"]
        pace()
        r = session.post(
            f"{url}/rest/api/3/issue",
            json={
                "fields": {
                    "project": {"key": "DEV"},
                    "issuetype": {"name": "Task"},
                    "summary": f["summary"],
                    "description": f["description"],
                    "priority": {"name": f["priority"]["name"]},
                    "labels": f["labels"],
                },
                "properties": [{"key": "jirasync.source", "value": {"userKey": issue["key"]}}],
            },
        )
        r.raise_for_status()
        # The emulator's create screens (as many real ones) lack Linked Issues: the link is
        # a request of its own, for jirasync too.
        pace()
        session.post(
            f"{url}/rest/api/3/issueLink",
            json={
                "type": {"name": "Relates"},
                "inwardIssue": {"key": r.json()["key"]},
                "outwardIssue": {"key": issue["key"]},
            },
        ).raise_for_status()

    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(create, [i for i in issues if i["key"].startswith("USER-")]))
    elapsed = time.perf_counter() - started
    assert len(issues) == n_expected
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--issues", type=int, default=2000)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--site-issues", type=int, default=1000)
    parser.add_argument("--site-rate", type=float, default=100.0)
    args = parser.parse_args()
    results = []
    with mongo() as server:
        timings = {}
        for who in ("bare", "jirasync"):
            emu = RemoteEmulator()
            seed_escalations(emu, args.issues)
            emu.faults(latency_ms=args.latency_ms)
            if who == "bare":
                timings[who] = bare_script(emu.url, args.issues, args.concurrency)
            else:
                cfg = pair_config(
                    emu,
                    rules=RULES,
                    jira=emulator_jira(emu, concurrency=args.concurrency, maxRequestsPerSecond=1000),
                )
                emu.clear_requests()
                started = time.perf_counter()
                report = run_once(cfg, settings(server.url))
                timings[who] = time.perf_counter() - started
                assert created(report) == args.issues, report.summary().get("counts")
                extra = [
                    e
                    for e in emu.requests()
                    if "search" not in e["path"] and not (e["method"] == "POST" and e["path"].endswith("/issue"))
                ]
                results.append(figure("jirasync requests beyond search + creates", len(extra), "requests"))
            assert len(emu.issues("DEV")) == args.issues
            emu.stop()
        results.append(figure(f"bare script: {args.issues} issues @ {args.latency_ms:g} ms", timings["bare"], "s"))
        results.append(figure(f"jirasync initial sync: {args.issues} issues", timings["jirasync"], "s"))
        results.append(figure("ratio jirasync / bare", timings["jirasync"] / timings["bare"], "x", "<= 1.15"))

        results += site_limited(server.url, args)
    save(results)


def limited_after(entries: list[dict], started: float, grace: float = 1.0) -> tuple[int, int]:
    """429 answers in all, and after the first ``grace`` seconds (emulator timestamps)."""
    limited = [e for e in entries if e["status"] == 429]
    return len(limited), sum(1 for e in limited if e["ts"] - started > grace)


def site_limited(mongo_url: str, args: argparse.Namespace) -> list[dict]:
    """Initial sync against a site allowing ``site_rate`` requests/s, jirasync adapting from 10/s."""
    results, timings = [], {}
    limit = {"per_second": args.site_rate, "burst": int(args.site_rate)}  # Jira's bucket: about a second
    for who in ("bare", "jirasync"):
        pacing._registry.clear()
        emu = RemoteEmulator()
        seed_escalations(emu, args.site_issues)
        emu.faults(latency_ms=args.latency_ms, rate_limit=limit)
        time.sleep(1.1)  # the site's bucket is full again after seeding through the control API
        emu.clear_requests()
        started = time.time()
        if who == "bare":
            timings[who] = bare_script(emu.url, args.site_issues, args.concurrency, rate=args.site_rate)
        else:
            cfg = pair_config(
                emu,
                rules=RULES,
                jira=emulator_jira(emu, concurrency=args.concurrency, maxRequestsPerSecondCeiling=2 * args.site_rate),
            )
            t0 = time.perf_counter()
            report = run_once(cfg, settings(mongo_url))
            timings[who] = time.perf_counter() - t0
            assert created(report) == args.site_issues, report.summary().get("counts")
            requests_sent = report.jira_requests
        total, late = limited_after(emu.requests(), started)
        results.append(figure(f"  429s provoked by {who} (after the first second)", late, "", "0"))
        results.append(figure(f"  429s provoked by {who} (in all)", total, ""))
        emu.stop()
    bound = max(timings["bare"], (args.site_issues / 100 + args.site_issues) / args.site_rate)
    results.append(
        figure(
            f"site allowing {args.site_rate:g}/s: bare script paced at it, {args.site_issues} issues",
            timings["bare"],
            "s",
        )
    )
    results.append(figure("  jirasync, starting at 10/s and adapting", timings["jirasync"], "s"))
    results.append(figure("  jirasync requests sent (all kinds, retries included)", requests_sent, "requests"))
    results.append(figure("  ratio jirasync / bare bound", timings["jirasync"] / bound, "x", "<= 1.15"))
    return results


if __name__ == "__main__":
    main()
