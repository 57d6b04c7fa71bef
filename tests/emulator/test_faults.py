"""Fault injection and the request log. No timing upper bounds: only "at least" checks."""

from __future__ import annotations

import time

import requests

from jirasync_cli.emulator import RateLimit

from .helpers import Raw, body_for, client

CREATE = {"fields": {"project": {"key": "USER"}, "summary": "x", "issuetype": {"name": "Task"}}}


def test_error_rate_fails_before_applying(emu):
    raw = Raw(emu)
    emu.faults.error_rate = 1.0
    statuses = {raw.post("issue", CREATE).status_code for _ in range(20)}
    assert statuses <= {500, 502, 503} and len(statuses) > 1
    assert emu.issues() == []
    emu.faults.error_rate = 0.0
    assert raw.post("issue", CREATE).json()["key"] == "USER-1"  # no key was consumed either


def test_injected_503_carries_retry_after(emu):
    emu.faults.fail_next("GET", r"/myself$", status=503)
    r = Raw(emu).get("myself")
    assert r.status_code == 503 and r.headers["Retry-After"] == "1"
    assert r.json()["errorMessages"]


def test_fail_next_before_and_after_apply(emu):
    raw = Raw(emu)
    key = emu.create_issue("USER", summary="target")
    emu.faults.fail_next("POST", r"/comment$", status=500)
    assert raw.post(f"issue/{key}/comment", {"body": body_for(emu, "first")}).status_code == 500
    assert emu.comments(key) == []
    emu.faults.fail_next("POST", r"/comment$", status=504, after_apply=True)
    r = raw.post(f"issue/{key}/comment", {"body": body_for(emu, "second")})
    assert r.status_code == 504 and "text/html" in r.headers["Content-Type"]
    assert [c["body"] for c in emu.comments(key)] == ["second"]  # applied, but the client never saw it
    assert raw.post(f"issue/{key}/comment", {"body": body_for(emu, "third")}).status_code == 201
    emu.faults.fail_next("*", r"/issue/", status=500, count=2)
    assert [raw.get(f"issue/{key}").status_code for _ in range(3)] == [500, 500, 200]


def test_lost_responses_only_hit_writes(emu):
    raw = Raw(emu)
    emu.faults.lost_response_rate = 1.0
    r = raw.post("issue", CREATE)
    assert r.status_code in (502, 504)
    assert [i["key"] for i in emu.issues()] == ["USER-1"]  # the write happened
    assert raw.get("issue/USER-1").status_code == 200  # reads are unaffected
    path = "search/jql" if emu.mode == "cloud" else "search"
    assert raw.post(path, {"jql": "project = USER"}).status_code == 200  # POST search is a read
    log = [e for e in emu.request_log if e.status in (502, 504)]
    assert len(log) == 1 and log[0].fault == "lost_response" and log[0].is_write


def test_rate_limit_answers_429_and_applies_nothing(emu):
    emu.faults.rate_limit = RateLimit(per_second=0.1, burst=2)  # a refill takes 10 s: no race
    raw = Raw(emu)
    assert raw.post("issue", CREATE).status_code == 201
    assert raw.get("myself").status_code == 200
    r = raw.post("issue", CREATE)
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) >= 1
    assert r.headers["X-RateLimit-Limit"] == "2" and r.headers["X-RateLimit-Remaining"] == "0"
    assert r.headers["X-RateLimit-Reset"].endswith("Z") and "T" in r.headers["X-RateLimit-Reset"]
    assert r.headers["RateLimit-Reason"]
    assert len(emu.issues()) == 1
    alice = Raw(emu, auth=("alice@example.com" if emu.mode == "cloud" else "alice", "alice-token"))
    assert alice.get("myself").status_code == 200  # buckets are per account
    emu.faults.rate_limit = None
    assert raw.post("issue", CREATE).status_code == 201


def test_near_limit_warning_before_the_429_on_cloud_only(emu):
    emu.faults.rate_limit = RateLimit(per_second=0.1, burst=10)  # no refill within the test
    raw = Raw(emu)
    warned = [raw.get("myself").headers.get("X-RateLimit-NearLimit") for _ in range(10)]
    # under 20 % of the budget left after the 9th request (1 of 10 tokens)
    expected = "true" if emu.mode == "cloud" else None
    assert warned == [None] * 8 + [expected] * 2
    r = raw.get("myself")
    assert r.status_code == 429 and r.headers["RateLimit-Reason"] == "jira-burst-based"
    emu.faults.rate_limit = {"per_second": 0.1, "burst": 10, "near_limit": False}
    assert all("X-RateLimit-NearLimit" not in raw.get("myself").headers for _ in range(10))


def test_per_issue_write_limit_hits_that_issue_only(emu):
    emu.faults.rate_limit = RateLimit(per_second=1000, issue_writes_per_second=0.1, issue_write_burst=2)
    raw = Raw(emu)
    a, b = emu.create_issue("USER", summary="a"), emu.create_issue("USER", summary="b")
    statuses = [raw.post(f"issue/{a}/comment", {"body": body_for(emu, f"c{i}")}).status_code for i in range(3)]
    assert statuses == [201, 201, 429]
    r = raw.put(f"issue/{a}", {"fields": {"summary": "renamed"}})
    assert r.status_code == 429 and r.headers["RateLimit-Reason"] == "jira-per-issue-on-write"
    assert int(r.headers["Retry-After"]) >= 1
    assert emu.issue(a)["summary"] == "a" and len(emu.comments(a)) == 2, "refused writes apply nothing"
    assert raw.get(f"issue/{a}").status_code == 200, "reads of that issue go on"
    assert raw.post(f"issue/{b}/comment", {"body": body_for(emu, "other")}).status_code == 201, "other issues too"
    assert raw.post("issue", CREATE).status_code == 201


def test_rate_limit_refills(emu):
    emu.faults.rate_limit = (50, 1)  # tuple form: (per second, burst)
    raw = Raw(emu)
    raw.get("myself")
    deadline = time.monotonic() + 5
    ok = 0
    while ok < 3 and time.monotonic() < deadline:
        ok += raw.get("myself").status_code == 200
        time.sleep(0.03)
    assert ok == 3


def test_latency_is_added(emu):
    raw = Raw(emu)
    emu.faults.latency_ms = 80
    t = time.perf_counter()
    raw.get("myself")
    assert time.perf_counter() - t >= 0.08
    emu.faults.latency_ms = (30, 40)
    t = time.perf_counter()
    raw.get("myself")
    assert time.perf_counter() - t >= 0.03
    assert emu.request_log[-1].latency_ms >= 30
    emu.faults.clear()
    assert emu.faults.latency_ms is None


def test_jira_client_sees_failures(cloud):
    j = client(cloud)
    cloud.faults.fail_next("GET", r"/serverInfo", status=500)
    try:
        j.server_info()
        raise AssertionError("expected an error")
    except Exception as exc:  # JIRAError
        assert getattr(exc, "status_code", None) == 500


def test_request_log(emu):
    raw = Raw(emu)
    emu.clear_request_log()
    key = emu.create_issue("USER", summary="x")  # the Python API is not logged
    raw.get(f"issue/{key}", params={"fields": "summary"})
    raw.put(f"issue/{key}", {"fields": {"summary": "y"}})
    Raw(emu, auth=("bot@example.com", "wrong")).get("myself")
    requests.get(f"{emu.url}/_emulator/state", timeout=5)  # control API: not logged
    log = emu.request_log
    assert [(e.method, e.status, e.is_write) for e in log] == [
        ("GET", 200, False),
        ("PUT", 204, True),
        ("GET", 401, False),
    ]
    first = log[0]
    assert first.path.endswith(f"/issue/{key}") and first.query == "fields=summary"
    assert first.account == "jirasync-bot" and first["account"] == "jirasync-bot"
    assert log[2].account is None and first.latency_ms >= 0 and first.ts > 0
    assert first.to_dict()["api_version"] == ("3" if emu.mode == "cloud" else "2")
    emu.clear_request_log()
    assert emu.request_log == []


def test_faults_are_reproducible_with_a_seed():
    from jirasync_cli.emulator.faults import Faults

    def run(seed):
        f = Faults(seed)
        f.error_rate = 0.3
        return [f.decide("GET", "/rest/api/3/myself", False).before for _ in range(50)]

    assert run(7) == run(7) and run(7) != run(8)
