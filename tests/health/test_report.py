"""Small units: health endpoints from a given document, lease owner liveness."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from jirasync_cli.health.http import HealthServer
from jirasync_cli.health.metrics import metrics_text
from jirasync_cli.health.report import (
    HealthReport,
    Stored,
    Supervised,
    WorkerHealth,
    build_report,
    overall,
    unhealthy_reason,
)


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def worker(name: str, state: str = "running", ok: bool = True, **changes) -> WorkerHealth:
    supervised = Supervised(
        restarts=1,
        last_exit=None,
        heartbeat_age_seconds=0.5,
        interval_seconds=60.0,
        cycles=3,
        last_success="2026-11-24T10:00:00+00:00",
        rss_bytes=42_000_000,
        cpu_percent=0.1,
    )
    return WorkerHealth(
        **{
            "name": name,
            "pid": 4711,
            "state": state,
            "ok": ok,
            "last_heartbeat": None,
            "last_cycle": {"result": "ok"},
            "jira_requests": {},
            "error": None,
            "supervised": supervised,
            **changes,
        }
    )


def failing(name: str) -> WorkerHealth:
    """A worker up but whose last cycle could not run (what a MongoDB outage looks like)."""
    return worker(name, ok=False, error="MongoDB is unreachable", last_cycle={"result": "failed"})


def report(*workers: WorkerHealth, invalid_configs: tuple[str, ...] = ()) -> HealthReport:
    return build_report(workers, config_dir="/config", invalid_configs=invalid_configs)


@pytest.mark.parametrize(
    ("workers", "status", "code"),
    [
        ([worker("a"), worker("b", "standby")], "healthy", 200),
        ([worker("a"), worker("b", ok=False)], "degraded", 200),
        ([worker("a"), worker("b", "backoff", ok=False)], "degraded", 200),
        ([worker("a", "failed", ok=False), worker("b", "backoff", ok=False)], "unhealthy", 503),
        # Every pair running but its cycles failing (MongoDB away): nothing syncs, not merely degraded.
        ([failing("a"), failing("b")], "unhealthy", 503),
        ([failing("a"), worker("b", "backoff", ok=False)], "unhealthy", 503),
        ([failing("a"), worker("b", "standby")], "degraded", 200),
        # Cycles that run but fail on single issues: those pairs still sync the rest.
        ([worker("a", ok=False), worker("b", ok=False)], "degraded", 200),
        ([worker("a", "standby")], "healthy", 200),
        ([], "unhealthy", 503),
    ],
)
def test_overall_status(workers, status, code):
    assert overall(workers) == (status, code)


def test_unhealthy_reason_names_the_cause():
    assert unhealthy_reason([], "/config") == ["no pairs configured: no valid sync-*.json in /config"]
    assert unhealthy_reason([worker("a", "backoff", ok=False)], "/c") == ["no worker is running"]
    down = [failing("a"), worker("b", ok=False, last_cycle={"result": "failed"}), worker("c", "failed", ok=False)]
    assert unhealthy_reason(down, "/c") == [
        "every pair is failing (a: MongoDB is unreachable; b: last cycle failed; c: failed)"
    ]
    assert unhealthy_reason([failing("a"), worker("b", ok=False)], "/c") == []


def test_endpoints_and_liveness():
    alive = {"value": True}
    doc = report(worker("sync-ab"), worker("sync-cd", ok=False))
    server = HealthServer("127.0.0.1", 0, lambda: doc, alive=lambda: alive["value"])
    server.start()
    try:
        code, body = _get(server.url + "/health")
        assert code == 200 and json.loads(body)["workers"][0]["name"] == "sync-ab"
        assert _get(server.url + "/livez")[0] == 200
        alive["value"] = False
        assert _get(server.url + "/livez") == (503, b'{"status":"stalled"}\n')
        assert _get(server.url + "/readyz")[0] == 200
        assert _get(server.url + "/nope")[0] == 404
    finally:
        server.stop()


def test_metrics_names_and_worker_ok():
    doc = report(worker("sync-ab"), worker("sync-cd", ok=False)).to_dict()
    text = metrics_text(doc).decode()
    assert 'jirasync_worker_ok{worker="sync-ab"} 1.0' in text
    assert 'jirasync_worker_ok{worker="sync-cd"} 0.0' in text
    assert 'jirasync_worker_restarts_total{worker="sync-ab"} 1.0' in text
    assert "jirasync_last_successful_sync_timestamp_seconds" in text and "jirasync_healthy 0.5" in text
    # Stored heartbeats know no restarts: no made-up zero series.
    stored = worker("x", supervised=None, stored=Stored(instances=1))
    assert "jirasync_worker_restarts_total{" not in metrics_text(report(stored).to_dict()).decode()


def test_root_is_an_html_page_for_browsers_and_json_for_everyone_else():
    from jirasync_cli import secrets

    secrets.register("s3cr3t-token-for-page")
    doc = report(
        worker("sync-ab"),
        worker("sync-<cd>", ok=False, error="HTTP 401 <b>for</b> s3cr3t-token-for-page"),
        invalid_configs=("sync-x.json: $: bad",),
    )
    server = HealthServer("127.0.0.1", 0, lambda: doc)
    server.start()
    try:

        def get(path, accept):
            request = urllib.request.Request(server.url + path, headers={"Accept": accept})
            with urllib.request.urlopen(request, timeout=5) as r:
                return r.headers["Content-Type"], r.read().decode()

        browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
        kind, page = get("/", browser)
        assert kind == "text/html; charset=utf-8" and page.startswith("<!DOCTYPE html>")
        assert '<tr class="worker" data-name="sync-&lt;cd&gt;" data-state="running">' in page
        assert "HTTP 401 &lt;b&gt;for&lt;/b&gt;" in page and "s3cr3t-token-for-page" not in page
        assert "invalid config: sync-x.json: $: bad" in page
        assert get("/", "*/*")[0] == "application/json" and get("/health", browser)[0] == "application/json"
    finally:
        server.stop()
