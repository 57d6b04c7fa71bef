"""A cross-site pair: the user project on a Cloud site, the dev project on a Data Center site,
each emulator in its own process with its own latency.

Prints the requests of an idle cycle on each site (target: one search each), then the
initial sync of N escalated user issues beside a bare `requests` script doing only what any
tool must do across two sites (page through the user project, search the dev project once,
and per issue: create it on the dev site, one remote link on each side), with the same
concurrency, and their ratio.

    python bench/cross_site.py [--issues 1000] [--latency-ms 20] [--concurrency 4]
"""

from __future__ import annotations

import argparse
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests
from common import figure, mongo, save, settings
from emuproc import RemoteEmulator, seed_escalations

from jirasync_cli.config.models import SyncPairConfig
from jirasync_cli.jira import pacing
from jirasync_cli.jira.models import SEARCH_FIELDS
from jirasync_cli.runtime.wiring import open_runtime
from jirasync_cli.sync.cycle import run_cycle

RULES = [{"id": "create", "sourceStatus": "Will Do", "syncDirection": "user_to_dev", "actions": {"createIssue": True}}]
AUTH = ("bot@example.com", "emulator-token")


def config(user: RemoteEmulator, dev: RemoteEmulator, concurrency: int) -> Any:
    def site(emu: RemoteEmulator) -> dict[str, Any]:
        return {
            "baseUrl": emu.url,
            "email": AUTH[0],
            "apiToken": AUTH[1],
            "concurrency": concurrency,
            "maxRequestsPerSecond": 1000,
        }

    doc = {
        "name": "bench-cross",
        "userJira": site(user),
        "devJira": site(dev),
        "userProjectKey": "USER",
        "devProjectKey": "DEV",
        "database": f"bench_{uuid.uuid4().hex[:8]}",
        "rules": RULES,
    }
    return SyncPairConfig.model_validate(doc).to_pair_config()


def sites(latency_ms: float) -> tuple[RemoteEmulator, RemoteEmulator]:
    user = RemoteEmulator("cloud", pairs=(("USER", "UNUSED"),))
    dev = RemoteEmulator("server", pairs=(("OTHER", "DEV"),))
    for emu in (user, dev):
        emu.faults(latency_ms=latency_ms)
    return user, dev


def bare_script(user_url: str, dev_url: str, n_expected: int, concurrency: int) -> float:
    """Only what any tool must do across two sites."""
    session = requests.Session()
    session.auth = AUTH
    session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=2 * concurrency + 4))
    started = time.perf_counter()
    issues, token = [], None
    while True:
        params = {"jql": 'project = "USER" ORDER BY created ASC', "maxResults": 100, "fields": ",".join(SEARCH_FIELDS)}
        if token:
            params["nextPageToken"] = token
        page = session.get(f"{user_url}/rest/api/3/search/jql", params=params).json()
        issues.extend(page["issues"])
        token = page.get("nextPageToken")
        if page.get("isLast", True) or not token:
            break
    session.get(f"{dev_url}/rest/api/2/search", params={"jql": 'project = "DEV"', "maxResults": 100}).raise_for_status()

    def create(issue: dict[str, Any]) -> None:
        f, key = issue["fields"], issue["key"]
        r = session.post(
            f"{dev_url}/rest/api/2/issue",
            json={
                "fields": {
                    "project": {"key": "DEV"},
                    "issuetype": {"name": "Task"},
                    "summary": f["summary"],
                    "description": "Steps to reproduce",
                    "priority": {"name": f["priority"]["name"]},
                    "labels": f["labels"],
                },
                "properties": [{"key": "jirasync.source", "value": {"userKey": key}}],
            },
        )
        r.raise_for_status()
        dev_key = r.json()["key"]
        gid = f"jirasync:bench:{key}"
        session.post(
            f"{dev_url}/rest/api/2/issue/{dev_key}/remotelink",
            json={"globalId": gid, "object": {"url": f"{user_url}/browse/{key}", "title": key}},
        ).raise_for_status()
        session.post(
            f"{user_url}/rest/api/3/issue/{key}/remotelink",
            json={"globalId": gid, "object": {"url": f"{dev_url}/browse/{dev_key}", "title": dev_key}},
        ).raise_for_status()

    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(create, issues))
    elapsed = time.perf_counter() - started
    assert len(issues) == n_expected, len(issues)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--issues", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    results = []
    timings: dict[str, float] = {}
    with mongo() as server:
        user, dev = sites(args.latency_ms)
        try:
            seed_escalations(user, args.issues)
            timings["bare"] = bare_script(user.url, dev.url, args.issues, args.concurrency)
        finally:
            user.stop()
            dev.stop()

        pacing._registry.clear()
        user, dev = sites(args.latency_ms)
        try:
            seed_escalations(user, args.issues)
            rt = open_runtime(config(user, dev, args.concurrency), settings(server.url))
            try:
                started = time.perf_counter()
                report = run_cycle(rt)
                timings["jirasync"] = time.perf_counter() - started
                assert report.counts()["created"] == args.issues, report.summary()
                assert len(dev.issues("DEV")) == args.issues
                run_cycle(rt)  # the cycle after: reads back its own writes once
                # Idle means nothing changed for a while: move both sites' clocks past the overlap window.
                for emu in (user, dev):
                    emu.call("POST", "/clock", {"advance_seconds": 600})
                run_cycle(rt)
                for emu in (user, dev):
                    emu.clear_requests()
                idle = run_cycle(rt)
                per_site = {name: len(emu.requests()) for name, emu in (("user (Cloud)", user), ("dev (DC)", dev))}
            finally:
                rt.jira.close()
        finally:
            user.stop()
            dev.stop()
    for name, n in per_site.items():
        results.append(figure(f"idle cycle: requests to the {name} site", n, "requests", "1"))
    results.append(figure("idle cycle: requests in all (the cycle's count)", idle.jira_requests, "requests", "2"))
    results.append(
        figure(f"bare script: {args.issues} issues across two sites @ {args.latency_ms:g} ms", timings["bare"], "s")
    )
    results.append(figure(f"jirasync initial sync: {args.issues} issues across two sites", timings["jirasync"], "s"))
    results.append(figure("jirasync requests (all kinds)", report.jira_requests, "requests"))
    results.append(figure("ratio jirasync / bare", timings["jirasync"] / timings["bare"], "x", "<= 1.15"))
    save(results)


if __name__ == "__main__":
    main()
