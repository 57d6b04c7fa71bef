"""Every request's transport: counted by kind, paced, retried only when safe, rate limits obeyed.

A scripted HTTP server on localhost answers; the pacer is a recorder (what the adapter asked
of the site's budget)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from jirasync_cli.jira.transport import (
    PER_ISSUE_REASON,
    PacedAdapter,
    RequestCounter,
    ServerClock,
    issue_of,
    request_kind,
    retry_after_seconds,
)


@pytest.mark.parametrize(
    ("method", "path", "kind"),
    [
        ("POST", "/rest/api/3/search/jql", "search"),
        ("GET", "/rest/api/2/search?jql=x", "search"),
        ("POST", "/rest/api/3/issue", "create"),
        ("POST", "/rest/api/2/issue/bulk", "create"),
        ("GET", "/rest/api/3/issue/USER-1", "get"),
        ("PUT", "/rest/api/3/issue/USER-1", "other"),
        ("POST", "/rest/api/3/issue/USER-1/transitions", "transition"),
        ("POST", "/rest/api/2/issue/USER-1/comment", "comment"),
        ("PUT", "/rest/api/3/issue/USER-1/properties/jirasync.source", "property"),
        ("POST", "/rest/api/3/issueLink", "link"),
        ("POST", "/rest/api/3/issue/USER-1/remotelink", "link"),
        ("GET", "/rest/api/3/myself", "other"),
    ],
)
def test_requests_are_counted_by_kind(method, path, kind):
    assert request_kind(method, f"https://jira.example{path}") == kind


def test_the_issue_a_write_is_about():
    assert issue_of("https://jira.example/rest/api/3/issue/DEV-7/comment/10") == "DEV-7"
    assert issue_of("https://jira.example/rest/api/3/issue/bulk") is None
    assert issue_of("https://jira.example/rest/api/3/search/jql") is None


def test_request_counts_since_a_snapshot_list_only_what_changed():
    counter = RequestCounter()
    counter.add("search")
    before = counter.snapshot()
    counter.add("search")
    counter.add("create")
    assert RequestCounter.since(before, counter.snapshot()) == {"search": 1, "create": 1}


def _response(**headers: str) -> requests.Response:
    response = requests.Response()
    response.headers.update(headers)
    return response


def test_retry_after_in_seconds_or_as_a_date_never_negative():
    assert retry_after_seconds(_response()) is None
    assert retry_after_seconds(_response(**{"Retry-After": "7"})) == 7.0
    assert retry_after_seconds(_response(**{"Retry-After": "-3"})) == 0.0
    in_a_minute = format_datetime(datetime.now(UTC) + timedelta(seconds=60), usegmt=True)
    assert 55 < retry_after_seconds(_response(**{"Retry-After": in_a_minute})) <= 60
    assert retry_after_seconds(_response(**{"Retry-After": "soon"})) is None


class RecordingPacer:
    def __init__(self) -> None:
        self.cancel = threading.Event()
        self.calls: list[tuple[str, float | None]] = []

    def acquire(self) -> None:
        self.calls.append(("acquire", None))

    def penalize(self, retry_after: float) -> None:
        self.calls.append(("penalize", retry_after))

    def warn(self) -> None:
        self.calls.append(("warn", None))

    def reward(self) -> None:
        self.calls.append(("reward", None))

    def kinds(self) -> list[str]:
        return [c for c, _ in self.calls if c != "acquire"]


class Script:
    """Answers in order: (status, headers); the last answer repeats."""

    def __init__(self) -> None:
        self.answers: list[tuple[int, dict[str, str]]] = [(200, {})]
        self.seen: list[str] = []
        self.lock = threading.Lock()

    def next(self, method: str, path: str) -> tuple[int, dict[str, str]]:
        with self.lock:
            self.seen.append(f"{method} {path}")
            return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


@pytest.fixture
def script() -> Iterator[tuple[Script, str]]:
    plan = Script()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            status, headers = plan.next(self.command, self.path)
            self.send_response_only(status)  # the Date header is the script's to choose
            date = {"Date": self.date_time_string()}
            for name, value in {**date, "Content-Length": "2", **headers}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(b"{}")

        do_GET = do_POST = do_PUT = do_DELETE = _answer

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield plan, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def session() -> Iterator[tuple[requests.Session, RecordingPacer, PacedAdapter]]:
    pacer = RecordingPacer()
    adapter = PacedAdapter(pacer, ServerClock(), attempts=3, rate_limit_attempts=3, backoff_base=0.01, backoff_cap=0.05)
    s = requests.Session()
    s.mount("http://", adapter)
    yield s, pacer, adapter
    s.close()


def test_a_clean_answer_rewards_the_pacer_and_every_request_is_paced_and_counted(script, session):
    plan, url = script
    s, pacer, adapter = session
    assert s.get(f"{url}/rest/api/3/issue/USER-1").status_code == 200
    assert s.post(f"{url}/rest/api/3/search/jql", json={}).status_code == 200
    assert pacer.calls == [("acquire", None), ("reward", None), ("acquire", None), ("reward", None)]
    assert adapter.requests.snapshot() == {"get": 1, "search": 1}


def test_a_read_is_retried_after_a_5xx_but_a_create_is_never_resent(script, session):
    plan, url = script
    s, pacer, adapter = session
    plan.answers = [(502, {}), (503, {}), (200, {})]
    assert s.get(f"{url}/rest/api/3/issue/USER-1").status_code == 200
    assert len(plan.seen) == 3
    plan.answers, plan.seen = [(502, {}), (200, {})], []
    assert s.post(f"{url}/rest/api/3/issue", json={}).status_code == 502, "its outcome is unknown: no blind resend"
    assert plan.seen == ["POST /rest/api/3/issue"]
    assert adapter.requests.snapshot() == {"get": 3, "create": 1}, "retries cost budget too"


def test_a_read_gives_up_after_its_attempts(script, session):
    plan, url = script
    s, _, _ = session
    plan.answers = [(503, {})]
    assert s.get(f"{url}/rest/api/3/myself").status_code == 503
    assert len(plan.seen) == 3


def test_a_429_slows_the_whole_site_and_is_retried_even_for_a_create(script, session):
    plan, url = script
    s, pacer, _ = session
    plan.answers = [(429, {"Retry-After": "0"}), (201, {})]
    assert s.post(f"{url}/rest/api/3/issue", json={}).status_code == 201, "a 429 was not applied: safe to resend"
    assert pacer.kinds() == ["penalize", "reward"]
    plan.answers, plan.seen = [(429, {"Retry-After": "0"})], []
    assert s.post(f"{url}/rest/api/3/issue", json={}).status_code == 429
    assert len(plan.seen) == 3, "rate_limit_attempts"


def test_a_per_issue_write_limit_pauses_that_issue_only(script, session):
    plan, url = script
    s, pacer, adapter = session
    plan.answers = [(429, {"Retry-After": "0.3", "RateLimit-Reason": PER_ISSUE_REASON}), (201, {})]
    started = time.monotonic()
    assert s.post(f"{url}/rest/api/3/issue/DEV-3/comment", json={}).status_code == 201
    assert time.monotonic() - started >= 0.25, "the resend waited for the issue's pause"
    assert "penalize" not in pacer.kinds(), "the site's rate is untouched"
    adapter.issue_pauses.pause("DEV-3", 5.0)
    started = time.monotonic()
    assert s.post(f"{url}/rest/api/3/issue/DEV-4/comment", json={}).status_code == 201
    assert time.monotonic() - started < 1.0, "another issue is written meanwhile"


def test_near_limit_warns_the_pacer_instead_of_rewarding_it(script, session):
    plan, url = script
    s, pacer, _ = session
    plan.answers = [(200, {"X-RateLimit-NearLimit": "true"})]
    s.get(f"{url}/rest/api/3/myself")
    assert pacer.kinds() == ["warn"]


def test_jiras_clock_is_read_from_its_date_header(script):
    plan, url = script
    clock = ServerClock()
    adapter = PacedAdapter(RecordingPacer(), clock)
    ahead = datetime.now(UTC) + timedelta(hours=1)
    plan.answers = [(200, {"Date": format_datetime(ahead, usegmt=True)})]
    with requests.Session() as s:
        s.mount("http://", adapter)
        s.get(f"{url}/rest/api/3/myself")
    assert 3590 < clock.offset < 3610
    assert abs(clock.now() - ahead.timestamp()) < 10
