"""Initial sync of N user issues against the emulator with injected latency.

Prints jirasync's wall time, a bare `requests` script doing only the unavoidable calls
(the paged search and one create per issue) with the same concurrency, and their ratio;
then the number of 429 answers provoked with pacing on and the emulator's limit set.

    python bench/initial_sync.py [--issues 2000] [--latency-ms 20]
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from common import figure, mongo, pair_config, save, settings
from emuproc import RemoteEmulator

from jirasync_cli.jira import pacing
from jirasync_cli.jira.models import SEARCH_FIELDS
from jirasync_cli.once import run_once


def seed(emu: RemoteEmulator, n: int) -> None:
    for i in range(n):
        emu.create_issue("USER", f"Customer issue {i}", description="Steps to reproduce", priority="High",
                         labels=["bench"], status="Will Do")


RULES = [{"id": "create", "sourceStatus": "Will Do", "syncDirection": "user_to_dev",
          "actions": {"createIssue": True, "addCrossLink": True}}]


def bare_script(url: str, n_expected: int, concurrency: int) -> float:
    """Only what any tool must do: page through the issues, then create one dev issue each."""
    session = requests.Session()
    session.auth = ("bot@example.com", "emulator-token")
    adapter = requests.adapters.HTTPAdapter(pool_maxsize=concurrency + 2)
    session.mount("http://", adapter)
    started = time.perf_counter()
    issues, token = [], None
    while True:
        params = {"jql": 'project in ("USER", "DEV") ORDER BY created ASC', "maxResults": 100,
                  "fields": ",".join(SEARCH_FIELDS)}
        if token:
            params["nextPageToken"] = token
        page = session.get(f"{url}/rest/api/3/search/jql", params=params).json()
        issues.extend(page["issues"])
        token = page.get("nextPageToken")
        if page.get("isLast", True) or not token:
            break

    def create(issue):
        f = issue["fields"]
        r = session.post(f"{url}/rest/api/3/issue", json={
            "fields": {"project": {"key": "DEV"}, "issuetype": {"name": "Task"}, "summary": f["summary"],
                       "description": f["description"], "priority": {"name": f["priority"]["name"]},
                       "labels": f["labels"]},
            "update": {"issuelinks": [{"add": {"type": {"name": "Relates"}, "outwardIssue": {"key": issue["key"]}}}]},
            "properties": [{"key": "jirasync.source", "value": {"userKey": issue["key"]}}]})
        r.raise_for_status()

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
    args = parser.parse_args()
    results = []
    with mongo() as server:
        timings = {}
        for who in ("bare", "jirasync"):
            emu = RemoteEmulator()
            seed(emu, args.issues)
            emu.faults(latency_ms=args.latency_ms)
            if who == "bare":
                timings[who] = bare_script(emu.url, args.issues, args.concurrency)
            else:
                cfg = pair_config(emu, rules=RULES, jira={"baseUrl": emu.url, "email": "bot@example.com",
                                                          "apiToken": "emulator-token", "concurrency": args.concurrency,
                                                          "maxRequestsPerSecond": 1000})
                emu.clear_requests()
                started = time.perf_counter()
                report = run_once(cfg, settings(server.url))
                timings[who] = time.perf_counter() - started
                assert len(report.created) == args.issues, report.summary()
                extra = [e for e in emu.requests()
                         if "search" not in e["path"] and not (e["method"] == "POST" and e["path"].endswith("/issue"))]
                results.append(figure("jirasync requests beyond search + creates", len(extra), "requests"))
            assert len(emu.issues("DEV")) == args.issues
            emu.stop()
        results.append(figure(f"bare script: {args.issues} issues @ {args.latency_ms:g} ms", timings["bare"], "s"))
        results.append(figure(f"jirasync initial sync: {args.issues} issues", timings["jirasync"], "s"))
        results.append(figure("ratio jirasync / bare", timings["jirasync"] / timings["bare"], "x", "<= 1.15"))

        # Pacing against an emulated rate limit: no 429 should be provoked.
        pacing._registry.clear()
        emu = RemoteEmulator()
        seed(emu, min(args.issues, 300))
        emu.faults(latency_ms=args.latency_ms, rate_limit={"per_second": 40, "burst": 10})
        cfg = pair_config(emu, rules=RULES, jira={"baseUrl": emu.url, "email": "bot@example.com",
                                                  "apiToken": "emulator-token", "concurrency": args.concurrency,
                                                  "maxRequestsPerSecond": 30})
        run_once(cfg, settings(server.url))
        limited = sum(1 for e in emu.requests() if e["status"] == 429)
        results.append(figure("429 answers with pacing at 30/s vs a 40/s limit", limited, "", "0"))
        emu.stop()
    save(results)


if __name__ == "__main__":
    main()
