"""Health over HTTP: ``/health`` (JSON), ``/livez``, ``/readyz`` and ``/metrics`` (Prometheus);
``/`` is ``/health`` too, or an HTML status page when the client asks for HTML (a browser).

The supervisor's loop owns the state; requests read a snapshot rebuilt at most every
``refresh`` seconds (process RSS/CPU sampling included), so a busy probe or scraper costs
the loop nothing and answers stay fast under load.

Status: ``healthy`` when every worker runs (standby counts: another supervisor holds that
pair) and its last cycle succeeded; ``degraded`` when some are down or failing but at least
one pair syncs (still 200, so an orchestrator does not restart a container for one bad
pair); ``unhealthy`` with 503 when no pair syncs: none configured, no worker running, or
every one's cycles failing (MongoDB unreachable, say); a pair whose cycles run but fail
on single issues still syncs. ``/livez`` only says the supervisor loop turns.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from jirasync_cli import __version__, secrets

log = logging.getLogger("jirasync.health")

UP_STATES = frozenset({"running", "standby"})


def _iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds") if ts else None


def _works(worker: dict[str, Any]) -> bool:
    """Up, and its last cycle had no error at all."""
    return worker["state"] in UP_STATES and worker.get("ok", True)


def _syncs(worker: dict[str, Any]) -> bool:
    """Up, and its cycles run: one issue Jira refuses makes a pair not ``ok``, but it still
    syncs the rest; a cycle that could not run at all (MongoDB or Jira away) does not."""
    return worker["state"] in UP_STATES and (worker.get("last_cycle") or {}).get("result") != "failed"


def overall(workers: list[dict[str, Any]]) -> tuple[str, int]:
    """``healthy`` (every pair works), ``degraded`` (some pair syncs) or ``unhealthy`` (none does)."""
    if not any(_syncs(w) for w in workers):
        return "unhealthy", 503
    if all(_works(w) for w in workers):
        return "healthy", 200
    return "degraded", 200


def _why_not(worker: dict[str, Any]) -> str:
    if worker["state"] not in UP_STATES:
        return str(worker["state"])
    return str(worker.get("error") or "last cycle failed")


def unhealthy_reason(workers: list[dict[str, Any]], config_dir: str) -> list[str]:
    """One line saying why no pair syncs (empty when some pair does)."""
    if not workers:
        return [f"no pairs configured: no valid sync-*.json in {config_dir}"]
    if any(_syncs(w) for w in workers):
        return []
    if not any(w["state"] in UP_STATES for w in workers):
        return ["no worker is running"]
    failing = "; ".join(f"{w['name']}: {_why_not(w)}" for w in workers[:3])
    return [f"every pair is failing ({failing}{'; ...' if len(workers) > 3 else ''})"]


class _ProcessSampler:
    """RSS and CPU% per pid, via psutil, cached between calls."""

    def __init__(self) -> None:
        self._procs: dict[int, Any] = {}

    def sample(self, pid: int | None) -> dict[str, Any]:
        import psutil

        if pid is None:
            return {"rss_bytes": None, "cpu_percent": None}
        proc = self._procs.get(pid)
        try:
            if proc is None:
                proc = self._procs[pid] = psutil.Process(pid)
                proc.cpu_percent(None)  # first call primes the counter
            with proc.oneshot():
                return {"rss_bytes": proc.memory_info().rss, "cpu_percent": proc.cpu_percent(None)}
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess, OSError):
            # OSError: out of file descriptors (reading /proc): no figures this time, no failure
            self._procs.pop(pid, None)
            return {"rss_bytes": None, "cpu_percent": None}

    def forget_except(self, pids: set[int]) -> None:
        for pid in list(self._procs):
            if pid not in pids:
                del self._procs[pid]


_sampler = _ProcessSampler()


def supervisor_health(sup: Any) -> dict[str, Any]:
    """The ``/health`` document of a running :class:`~jirasync_cli.runtime.supervisor.Supervisor`."""
    now = time.monotonic()
    workers = []
    for child in sorted(sup.children.copy().values(), key=lambda c: c.name):  # copy: the loop mutates it
        status = child.status or {}
        error = status.get("error")
        last_cycle = status.get("last_cycle") or None
        ok = child.state in UP_STATES and not error and status.get("state") != "error"
        workers.append({
            "name": child.name,
            "pid": child.pid,
            "state": child.state,
            "ok": ok,
            "restarts": child.restarts,
            "last_exit": child.last_exit,
            "last_heartbeat": _iso(child.last_heartbeat_wall),
            "heartbeat_age_seconds": round(now - child.last_heartbeat, 1) if child.last_heartbeat else None,
            "interval_seconds": child.interval,
            "cycles": status.get("cycles", 0),
            "last_cycle": None if not last_cycle else {
                k: last_cycle.get(k) for k in ("result", "mode", "startedAt", "durationSeconds", "issuesSeen",
                                               "actions", "errors")
            },
            "last_success": _iso(status.get("last_success")),
            "jira_requests": status.get("jira_requests") or {},  # since the worker started, by kind
            "error": error,
            **_sampler.sample(child.pid),
        })
    _sampler.forget_except({w["pid"] for w in workers if w["pid"]})
    status, code = overall(workers)
    return {
        "status": status,
        "http_status": code,
        "version": __version__,
        "uptime_seconds": round(time.time() - sup.started, 1),
        "loop_age_seconds": round(now - sup.loop_beat, 2),
        "workers": workers,
        "invalid_configs": sup.problems,
        "errors": unhealthy_reason(workers, str(sup.config_dir)),
    }


def metrics_text(doc: dict[str, Any]) -> bytes:
    """Prometheus exposition of a health document (prometheus-client does the format)."""
    from prometheus_client import CollectorRegistry, generate_latest
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

    class Collector:
        def collect(self):  # type: ignore[no-untyped-def]
            up = GaugeMetricFamily("jirasync_worker_up", "1 if the pair's worker runs (or stands by)",
                                   labels=["worker"])
            ok = GaugeMetricFamily("jirasync_worker_ok", "1 if the worker runs and its last cycle had no error",
                                   labels=["worker"])
            state = GaugeMetricFamily("jirasync_worker_state", "Current state of the worker (1 = in this state)",
                                      labels=["worker", "state"])
            restarts = CounterMetricFamily("jirasync_worker_restarts", "Worker restarts by the supervisor",
                                           labels=["worker"])
            last_ok = GaugeMetricFamily("jirasync_last_successful_sync_timestamp_seconds",
                                        "Unix time of the last successful cycle", labels=["worker"])
            cycles = CounterMetricFamily("jirasync_cycles", "Cycles completed", labels=["worker"])
            rss = GaugeMetricFamily("jirasync_worker_resident_memory_bytes", "Worker RSS", labels=["worker"])
            age = GaugeMetricFamily("jirasync_worker_heartbeat_age_seconds", "Seconds since the last heartbeat",
                                    labels=["worker"])
            requests = CounterMetricFamily("jirasync_jira_requests", "Requests sent to Jira (retries included)",
                                           labels=["worker", "kind"])
            for w in doc.get("workers", []):
                name = w["name"]
                up.add_metric([name], 1.0 if w["state"] in UP_STATES else 0.0)
                ok.add_metric([name], 1.0 if w.get("ok") else 0.0)
                for s in ("starting", "running", "standby", "backoff", "failed"):
                    state.add_metric([name, s], 1.0 if w["state"] == s else 0.0)
                if "restarts" in w:  # standalone health (from MongoDB) knows no restarts
                    restarts.add_metric([name], float(w["restarts"]))
                if "cycles" in w:
                    cycles.add_metric([name], float(w["cycles"]))
                if w.get("last_success"):
                    last_ok.add_metric([name], datetime.fromisoformat(w["last_success"]).timestamp())
                if w.get("rss_bytes") is not None:
                    rss.add_metric([name], float(w["rss_bytes"]))
                if w.get("heartbeat_age_seconds") is not None:
                    age.add_metric([name], float(w["heartbeat_age_seconds"]))
                for kind, count in sorted((w.get("jira_requests") or {}).items()):
                    requests.add_metric([name, str(kind)], float(count))
            healthy = GaugeMetricFamily("jirasync_healthy", "1 healthy, 0.5 degraded, 0 unhealthy")
            healthy.add_metric([], {"healthy": 1.0, "degraded": 0.5}.get(doc.get("status", ""), 0.0))
            yield from (up, ok, state, restarts, last_ok, cycles, rss, age, requests, healthy)

    registry = CollectorRegistry(auto_describe=False)
    registry.register(Collector())
    return generate_latest(registry)


class HealthServer:
    """Serves a provider's health document; the provider runs at most once per ``refresh``.

    HTTP is :class:`~jirasync_cli.health.server.HttpServer`: one thread, idle and header
    timeouts, a cap on connections, and accept failures that are logged, never fatal.
    """

    def __init__(self, host: str, port: int, provider: Callable[[], dict[str, Any]], refresh: float = 0.5,
                 alive: Callable[[], bool] = lambda: True, **http_options: Any) -> None:
        from jirasync_cli.health.server import HttpServer

        self.provider = provider
        self.alive = alive
        self.refresh = refresh
        self._lock = threading.Lock()
        self._cached: tuple[float, dict[str, Any], bytes] | None = None
        self._page: tuple[bytes, bytes] | None = None
        self.http = HttpServer(host, port, self.respond, server_name=f"jirasync/{__version__}", **http_options)

    def respond(self, target: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, str]:
        path = target.split("?", 1)[0].rstrip("/") or "/"
        if path == "/livez":  # liveness: the owner's loop turns (no provider call)
            if self.alive():
                return 200, b'{"status":"alive"}\n', "application/json"
            return 503, b'{"status":"stalled"}\n', "application/json"
        doc, body = self.current()
        if path == "/" and "text/html" in (headers or {}).get("accept", ""):
            return doc.get("http_status", 200), self.page(body), "text/html; charset=utf-8"
        if path in ("/health", "/"):
            return doc.get("http_status", 200), body, "application/json"
        if path == "/readyz":
            ready = doc.get("http_status", 200) == 200
            return 200 if ready else 503, b'{"ready":%s}\n' % (b"true" if ready else b"false"), "application/json"
        if path == "/metrics":
            return 200, metrics_text(doc), "text/plain; version=0.0.4; charset=utf-8"
        return 404, b'{"error":"not found"}\n', "application/json"

    @property
    def port(self) -> int:
        return int(self.http.address[1])

    @property
    def url(self) -> str:
        host = self.http.address[0]
        host = "127.0.0.1" if host in ("0.0.0.0", "") else host
        return f"http://{host}:{self.port}"

    def current(self) -> tuple[dict[str, Any], bytes]:
        now = time.monotonic()
        with self._lock:
            if self._cached is None or now - self._cached[0] >= self.refresh:
                try:
                    doc = self.provider()
                except Exception as exc:  # a broken provider must still answer
                    log.exception("health provider failed")
                    doc = {"status": "unhealthy", "http_status": 503, "workers": [],
                           "errors": [f"health provider failed: {type(exc).__name__}"]}
                body = secrets.redact(json.dumps(doc, default=str)).encode() + b"\n"
                self._cached = (now, doc, body)
            return self._cached[1], self._cached[2]

    def page(self, body: bytes) -> bytes:
        """The HTML status page of a (redacted) health body; rendered once per body."""
        from jirasync_cli.health import page as status_page

        with self._lock:
            if self._page is None or self._page[0] is not body:
                self._page = (body, status_page.render(json.loads(body)))
            return self._page[1]

    def start(self) -> None:
        self.http.start()

    def stop(self) -> None:
        self.http.stop()
