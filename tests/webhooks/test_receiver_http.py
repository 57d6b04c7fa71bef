"""POST /webhook over real HTTP on the health server: authentication, limits, routing,
and that GET endpoints and keep-alive still behave."""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Iterator

import pytest

from jirasync_cli.health.http import HealthServer
from jirasync_cli.health.report import HealthReport
from jirasync_cli.webhooks import signature
from jirasync_cli.webhooks.hub import Hub

SECRET = "test-secret-9f2c"


def issue_event(project: str = "USER") -> bytes:
    return json.dumps(
        {
            "timestamp": 1,
            "webhookEvent": "jira:issue_updated",
            "issue": {"id": "10001", "key": f"{project}-1", "fields": {"project": {"key": project}}},
        }
    ).encode()


@pytest.fixture
def hub() -> Iterator[Hub]:
    h = Hub(SECRET)
    h.configure([{"name": "sync-ab", "site": "http://jira", "projects": ("USER", "DEV"), "debounce": 0.5}])
    yield h
    h.close()


@pytest.fixture
def server(hub) -> Iterator[HealthServer]:
    s = HealthServer(
        "127.0.0.1",
        0,
        lambda: HealthReport(status="healthy", http_status=200, workers=(), invalid_configs=(), errors=()),
        post_handler=hub.receiver.handle,
        max_body=64 * 1024,
    )
    s.start()
    yield s
    s.stop()


def post(server, body: bytes, headers: dict[str, str] | None = None, path: str = "/webhook"):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    conn.request("POST", path, body=body, headers={"Content-Type": "application/json", **(headers or {})})
    r = conn.getresponse()
    out = r.status, json.loads(r.read() or b"{}")
    conn.close()
    return out


def signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    return {"X-Hub-Signature": signature.sign(secret, body)}


def test_a_signed_delivery_is_routed_to_its_pair(server, hub):
    body = issue_event()
    assert post(server, body, signed(body)) == (202, {"routed": 1})
    assert [pairs for pairs, _ in hub.receiver.take()] == [frozenset({"sync-ab"})]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Hub-Signature": "sha256=" + "0" * 64},
        {"X-Hub-Signature": signature.sign("not the secret", issue_event())},
    ],
    ids=["unsigned", "forged", "other-secret"],
)
def test_unsigned_and_forged_deliveries_get_401_and_reach_no_pair(server, hub, headers):
    code, doc = post(server, issue_event(), headers)
    assert code == 401 and "X-Hub-Signature" in doc["error"]
    assert hub.receiver.take() == []
    assert hub.status()["rejected"] == 1 and hub.status()["rejected_by"]["signature"] == 1


def test_a_body_over_the_limit_gets_413_unread(server, hub):
    body = b"{" + b" " * (64 * 1024) + b"}"
    assert post(server, body, signed(body))[0] == 413
    assert hub.status()["received"] == 0


def test_a_signed_body_that_is_not_a_webhook_gets_400(server, hub):
    body = b'{"hello": "world"}'
    assert post(server, body, signed(body))[0] == 400
    assert hub.status()["rejected_by"]["malformed"] == 1


def test_an_unknown_project_is_ignored_with_202(server, hub):
    body = issue_event("ZZZ")
    assert post(server, body, signed(body)) == (202, {"routed": 0})
    assert hub.status()["ignored"] == 1 and hub.receiver.take() == []


def test_posts_elsewhere_are_404_and_gets_still_work(server):
    body = issue_event()
    assert post(server, body, signed(body), path="/health")[0] == 404
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    conn.request("GET", "/health")
    assert conn.getresponse().status == 200
    conn.close()


def test_keep_alive_carries_several_deliveries_and_a_body_split_across_packets(server, hub):
    body = issue_event()
    head = (
        f"POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        f"X-Hub-Signature: {signature.sign(SECRET, body)}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(head + body[:10])
        sock.sendall(body[10:] + head + body)
        data = b""
        while data.count(b"HTTP/1.1 202") < 2:
            chunk = sock.recv(4096)
            assert chunk, data
            data += chunk
    assert len(hub.receiver.take()) == 2


def test_without_a_secret_unsigned_deliveries_are_accepted():
    h = Hub(None)
    h.configure([{"name": "sync-ab", "site": "http://jira", "projects": ("USER", "DEV"), "debounce": 0.5}])
    try:
        code, _, _ = h.receiver.handle("/webhook", {}, issue_event())
        assert code == 202 and h.status()["signed"] is False
    finally:
        h.close()


def test_the_url_can_name_the_pair_for_id_only_events(hub):
    body = json.dumps(
        {"webhookEvent": "issuelink_created", "issueLink": {"sourceIssueId": 5, "destinationIssueId": 6}}
    ).encode()
    assert (
        hub.receiver.handle("/webhook?pair=sync-ab", {"x-hub-signature": signature.sign(SECRET, body)}, body)[0] == 202
    )
    assert [p for p, _ in hub.receiver.take()] == [frozenset({"sync-ab"})]


def test_health_shows_webhook_counts_per_pair(hub):
    body = issue_event()
    for _ in range(3):
        hub.receiver.handle("/webhook", {"x-hub-signature": signature.sign(SECRET, body)}, body)
    timers = hub.drain(now=0.0)
    assert timers == [("sync-ab", 0.5)]  # one timer for the three
    status = hub.pair_status("sync-ab")
    assert status["received"] == 3 and status["coalesced"] == 2 and status["last_event_age_seconds"] is not None


def test_expect_100_continue_is_answered_before_the_body(server, hub):
    body = issue_event()
    head = (
        f"POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\nExpect: 100-continue\r\n"
        f"X-Hub-Signature: {signature.sign(SECRET, body)}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(head)
        assert sock.recv(4096).startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
        sock.sendall(body)
        data = b""
        while b"HTTP/1.1 202" not in data:
            chunk = sock.recv(4096)
            assert chunk
            data += chunk


def test_a_chunked_body_gets_411(server, hub):
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"POST /webhook HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
        assert sock.recv(4096).startswith(b"HTTP/1.1 411 ")
    assert hub.receiver.take() == []
