"""Connection failures named by host and cause, URLs shown without credentials."""

from __future__ import annotations

import socket

from jirasync_cli.endpoints import classify, host_port, mongo_failure, probe


def test_connection_failures_are_told_apart():
    assert classify("[Errno 111] Connection refused").startswith("connection refused")
    assert classify("[Errno -2] Name or service not known").startswith("unknown host")
    assert classify("timed out").startswith("timed out")
    text = (
        "db.internal:27017: [Errno -3] Temporary failure in name resolution (configured timeouts: ...), "
        "Timeout: 5.0s, Topology Description: <...>"
    )
    assert mongo_failure(text) == ("db.internal:27017", "unknown host (the name does not resolve)")


def test_urls_are_shown_without_credentials():
    assert host_port("https://bot:s3cret@example.atlassian.net/jira") == "example.atlassian.net:443"
    assert host_port("mongodb://u:pw@db:27018/x", 27017) == "db:27018"


def test_probe_tells_a_refused_port_from_an_unknown_host():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, not listening: refused
        assert probe(f"http://127.0.0.1:{port}").startswith("connection refused")
    assert probe("https://no-such-host.invalid").startswith("unknown host")
