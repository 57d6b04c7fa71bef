"""The health HTTP server over real sockets: timeouts, the connection cap, keep-alive, and
accept failures when file descriptors run out (in a child process with a low limit)."""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import sys
import textwrap
import time

import pytest

from jirasync_cli.health.http import HealthServer
from jirasync_cli.health.report import WorkerHealth, build_report
from tests.helpers import wait_for

ROW = WorkerHealth(
    name="sync-ab",
    pid=None,
    state="running",
    ok=True,
    last_heartbeat=None,
    last_cycle=None,
    jira_requests={},
    error=None,
)
DOC = build_report([ROW], config_dir="/config", invalid_configs=())


@pytest.fixture
def server():
    started = []

    def make(**options) -> HealthServer:
        srv = HealthServer("127.0.0.1", 0, lambda: DOC, **options)
        srv.start()
        started.append(srv)
        return srv

    yield make
    for srv in started:
        srv.stop()


def _closed_by_server(sock: socket.socket, timeout: float) -> bool:
    sock.settimeout(timeout)
    try:
        return sock.recv(1) == b""
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


def _get(port: int, path: str = "/health") -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", path)
    response = conn.getresponse()
    response.read()
    conn.close()
    return response.status


def test_idle_and_slow_clients_are_closed(server):
    srv = server(idle_timeout=0.6, header_timeout=0.6)
    idle = socket.create_connection(("127.0.0.1", srv.port))
    slow = socket.create_connection(("127.0.0.1", srv.port))
    started = time.monotonic()
    slow.sendall(b"GET /health HTTP/1.1\r\n")
    for _ in range(3):  # a header line now and then keeps it "active", but the head never completes
        time.sleep(0.3)
        try:
            slow.sendall(b"X-Drip: 1\r\n")
        except OSError:
            break
    assert _closed_by_server(slow, 3) and time.monotonic() - started < 2.5
    assert _closed_by_server(idle, 3)
    assert srv.http.stats["timed_out"] == 2 and not srv.http.conns


def test_keep_alive_pipelining_head_and_bad_requests(server):
    srv = server()
    sock = socket.create_connection(("127.0.0.1", srv.port))
    sock.sendall(
        b"GET /livez HTTP/1.1\r\nHost: x\r\n\r\nHEAD /health HTTP/1.1\r\nHost: x\r\n\r\n"
        b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    assert data.count(b"HTTP/1.1 200 OK") == 3 and data.count(b"Content-Type: application/json") == 3
    assert data.endswith(b'{"ready":true}\n'), "HEAD carried no body; the last answer closed the connection"
    assert b"Connection: close" in data
    one = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=5)
    for path, code in (("/health", 200), ("/metrics", 200), ("/nope", 404), ("/health?x=1", 200)):
        one.request("GET", path)
        response = one.getresponse()
        assert response.status == code and response.read()
    one.request("POST", "/health", body=b"{}")
    assert one.getresponse().status == 405
    big = socket.create_connection(("127.0.0.1", srv.port))
    big.sendall(b"GET / HTTP/1.1\r\n" + b"X-Big: " + b"a" * 10_000 + b"\r\n\r\n")
    assert big.recv(100).startswith(b"HTTP/1.1 431")
    assert json.loads(urlopen_body(srv.port))["status"] == "healthy"


def urlopen_body(port: int) -> bytes:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", "/health")
    return conn.getresponse().read()


def test_connection_cap_evicts_the_longest_idle_and_lets_a_probe_in(server):
    srv = server(max_connections=8)
    idle = [socket.create_connection(("127.0.0.1", srv.port)) for _ in range(40)]
    wait_for(lambda: srv.http.stats["accepted"] == 40, 5, message="all accepted")
    assert len(srv.http.conns) <= 8
    assert _get(srv.port) == 200, "a probe gets in despite 40 idle clients"
    still_open = sum(not _closed_by_server(s, 0.01) for s in idle)
    assert still_open <= 8
    for s in idle:
        s.close()


ACCEPT_UNDER_EMFILE = textwrap.dedent("""
    import json, logging, resource, sys, time
    from jirasync_cli.health.server import HttpServer
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(message)s")
    resource.setrlimit(resource.RLIMIT_NOFILE, (40, 40))
    srv = HttpServer("127.0.0.1", 0, lambda path, headers: (200, b"ok\\n", "text/plain"),
                     max_connections=1000, idle_timeout=2.0)
    srv.start()
    print(srv.address[1], flush=True)
    sys.stdin.read()  # until the test closes our stdin
    print(json.dumps(srv.stats), flush=True)
    srv.stop()
""")


def test_running_out_of_file_descriptors_is_logged_never_fatal(tmp_path):
    """40 descriptors, 80 clients: accept fails with EMFILE; the server logs that (rate-limited),
    keeps serving the clients it has, and accepts again once the idle ones time out."""
    proc = subprocess.Popen(
        [sys.executable, "-c", ACCEPT_UNDER_EMFILE],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        port = int(proc.stdout.readline())
        clients = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(80)]
        time.sleep(1.0)  # the server is out of descriptors and retrying accepts every 0.5 s
        assert proc.poll() is None
        wait_for(lambda: _try_get(port), 15, interval=0.3, message="served again after idle clients timed out")
        for c in clients:
            c.close()
        proc.stdin.close()
        stats = json.loads(proc.stdout.readline())
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    log = proc.stderr.read()
    failures = log.count("health server cannot accept a connection")
    print(f"\nEMFILE: {stats['accept_failures']} failed accepts, {failures} log line(s), stats {stats}")
    assert proc.returncode == 0 and stats["accept_failures"] >= 1
    assert 1 <= failures <= 2, "logged, but at most every 10 s"
    assert "Traceback" not in log


def _try_get(port: int) -> bool:
    try:
        return _get(port) == 200
    except OSError:
        return False
