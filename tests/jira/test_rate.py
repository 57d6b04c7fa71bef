"""Adaptive pacing and request counting, through the real client against the emulator's limits."""

from __future__ import annotations

import re
import threading
import time
from collections import Counter

import pytest

from jirasync_cli.emulator import RateLimit
from jirasync_cli.jira import connect, pacing
from jirasync_cli.jira.adf import text_to_adf

from .test_client import conn


@pytest.fixture(autouse=True)
def _fresh_pacers():
    pacing._registry.clear()
    yield
    pacing._registry.clear()


def _hammer(client, key: str, seconds: float, threads: int = 4) -> list[float]:
    """Read ``key`` from ``threads`` threads for ``seconds``; monotonic time of each answer."""
    done: list[float] = []
    stop = time.monotonic() + seconds

    def run() -> None:
        while time.monotonic() < stop:
            client.get_issue(key)
            done.append(time.monotonic())

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return done


def test_rate_rises_to_what_the_site_allows_then_no_429(emu):
    emu.faults.rate_limit = RateLimit(60, 60)
    emu.faults.latency_ms = 5
    key = emu.create_issue("USER", summary="x")
    client = connect(conn(emu, max_requests_per_second=10))
    _hammer(client, key, 1.5)  # the first seconds: probing
    emu.clear_request_log()
    done = _hammer(client, key, 3.0)
    limited = [e for e in emu.request_log if e.status == 429]
    assert limited == [], "no 429 once the rate settled"
    if emu.mode == "cloud":  # warned before the limit: rises from 10 to near Jira's 60/s
        assert 40 * 3 <= len(done) <= 60 * 3 + 60, len(done)  # (+ at most Jira's burst)
    else:  # Data Center gives no early warning: no rise without a ceiling set on purpose
        assert len(done) <= 10 * 3 + 2 + 4, len(done)  # (+ our burst, + answers in flight at the end)


def test_ceiling_caps_the_rise(emu):
    emu.faults.latency_ms = 2
    key = emu.create_issue("USER", summary="x")
    client = connect(conn(emu, max_requests_per_second=10, max_requests_per_second_ceiling=25))
    _hammer(client, key, 1.5)
    done = _hammer(client, key, 2.0)
    assert 15 * 2 <= len(done) <= 25 * 2 + 6  # (+ our burst of 5)
    assert client.pacer.rate == pytest.approx(25)


def test_per_issue_write_limit_pauses_that_issue_not_the_site(emu):
    emu.faults.rate_limit = RateLimit(1000, issue_writes_per_second=0.5, issue_write_burst=1)
    busy, *others = [emu.create_issue("USER", summary=f"i{i}") for i in range(5)]
    client = connect(conn(emu))
    rate_before = client.pacer.rate
    body = text_to_adf("hello") if client.adf else "hello"
    client.add_comment(busy, body, "intent-1")
    second = threading.Thread(target=client.add_comment, args=(busy, body, "intent-2"))
    started = time.monotonic()
    second.start()
    deadline = time.monotonic() + 5
    while not [e for e in emu.request_log if e.status == 429] and time.monotonic() < deadline:
        time.sleep(0.01)
    t0 = time.monotonic()
    for i, key in enumerate(others):  # other issues are written meanwhile, unhindered
        client.add_comment(key, body, f"other-{i}")
    others_took = time.monotonic() - t0
    second.join()
    limited = [e for e in emu.request_log if e.status == 429]
    assert limited and all(e.path.endswith(f"/issue/{busy}/comment") for e in limited)
    assert time.monotonic() - started >= 1.0, "the busy issue's write waited Retry-After"
    assert others_took < 0.9, others_took
    assert client.pacer.rate_limited == 0 and client.pacer.rate >= rate_before, "the site was not slowed"
    assert len(emu.comments(busy)) == 2 and all(len(emu.comments(k)) == 1 for k in others)


KIND_OF = [  # the test's own reading of the emulator's request log
    ("property", re.compile(r"/properties")),
    ("search", re.compile(r"/search")),
    ("transition", re.compile(r"/issue/[^/]+/transitions")),
    ("comment", re.compile(r"/issue/[^/]+/comment")),
    ("link", re.compile(r"/issueLink(/|$)")),
]


def _kind(method: str, path: str) -> str:
    for kind, pattern in KIND_OF:
        if pattern.search(path):
            return kind
    if method == "POST" and path.endswith("/issue"):
        return "create"
    if method == "GET" and re.search(r"/issue/[A-Z]+-\d+$", path):
        return "get"
    return "other"


def test_every_request_is_counted_by_kind(emu):
    emu.set_screens("all", project="DEV")  # links set on create, as this test's create sends one
    user = emu.create_issue("USER", summary="source")
    client = connect(conn(emu))
    emu.faults.fail_next("GET", rf"/issue/{user}$", status=503)  # a retry is a request too
    client.get_issue(user)
    dev = client.create_issue("DEV", "Task", {"summary": "copy"}, source={"pair": "p", "userKey": user}, link_to=user)
    client.search("project = DEV")
    client.add_comment(dev, text_to_adf("hi") if client.adf else "hi", "intent-1")
    client.set_issue_property(dev, "jirasync.test", {"a": 1})
    client.issue_property(dev, "jirasync.test")
    client.transition_to(dev, "In Progress", project="DEV", issuetype="Task", current="To Do")
    client.link(dev_key=dev, user_key=user)
    counted = client.requests.snapshot()
    logged = Counter(_kind(e.method, e.path) for e in emu.request_log)
    assert counted == dict(logged)
    assert counted["get"] == 2 and counted["create"] == 1 and counted["link"] == 1
    assert {"search", "comment", "property", "transition", "other"} <= set(counted)
