"""/health under load: throughput and latency percentiles with 20 workers.

Load comes from separate processes (keep-alive connections, as a scraper or probe uses),
so the client's interpreter lock does not cap the server. With ``--idle N`` the same load
runs again while N idle clients hold connections open.

    python bench/health_load.py [--pairs 20] [--clients 4] [--seconds 10] [--idle 300]
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import socket
import statistics
import time

from common import figure, save
from deployment import deployment


def client(port: int, seconds: float, keepalive: bool, out: multiprocessing.Queue) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    latencies = []
    codes = 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        started = time.perf_counter()
        if not keepalive:  # a probe opening a connection per check
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/health", headers={} if keepalive else {"Connection": "close"})
        response = conn.getresponse()
        response.read()
        if not keepalive:
            conn.close()
        latencies.append(time.perf_counter() - started)
        codes += response.status == 200
    out.put((latencies, codes))


def load(port: int, clients: int, seconds: float, keepalive: bool) -> tuple[list[float], int]:
    queue: multiprocessing.Queue = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=client, args=(port, seconds, keepalive, queue)) for _ in range(clients)]
    for p in procs:
        p.start()
    latencies: list[float] = []
    ok = 0
    for _ in procs:
        lat, codes = queue.get()
        latencies += lat
        ok += codes
    for p in procs:
        p.join()
    latencies.sort()
    return latencies, ok


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=20)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--idle", type=int, default=300, help="idle clients for the last run (0: skip it)")
    args = parser.parse_args()
    results = []
    with deployment(args.pairs) as dep:
        for keepalive in (True, False):
            latencies, ok = load(dep.port, args.clients, args.seconds, keepalive)
            how = "keep-alive" if keepalive else "new connection each"
            results.append(
                figure(
                    f"/health req/s ({args.clients} clients, {how}, {args.pairs} workers)",
                    len(latencies) / args.seconds,
                    "req/s",
                    ">= 1000",
                )
            )
            results.append(figure(f"/health latency p50 ({how})", 1000 * statistics.median(latencies), "ms"))
            results.append(
                figure(f"/health latency p99 ({how})", 1000 * latencies[int(len(latencies) * 0.99)], "ms", "<= 20")
            )
            results.append(figure(f"/health answers that were 200 ({how})", 100 * ok / len(latencies), "%"))
        if args.idle:
            idle = [socket.create_connection(("127.0.0.1", dep.port)) for _ in range(args.idle)]
            latencies, ok = load(dep.port, 32, args.seconds, True)
            held = sum(1 for s in idle if _still_open(s))
            how = f"32 keep-alive clients beside {args.idle} idle ones"
            results.append(
                figure(f"/health latency p99 ({how})", 1000 * latencies[int(len(latencies) * 0.99)], "ms", "<= 20")
            )
            results.append(figure(f"idle clients the supervisor held open (of {args.idle})", held, "connections"))
            results.append(figure(f"/health answers that were 200 ({how})", 100 * ok / len(latencies), "%"))
            for s in idle:
                s.close()
    save(results)


def _still_open(sock: socket.socket) -> bool:
    sock.settimeout(0.001)
    try:
        return sock.recv(1) != b""
    except TimeoutError:
        return True
    except OSError:
        return False


if __name__ == "__main__":
    main()
