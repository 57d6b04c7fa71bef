"""``/metrics``: the Prometheus exposition of a ``/health`` document (prometheus-client does the format)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from jirasync_cli.health.report import UP_STATES


def metrics_text(doc: dict[str, Any]) -> bytes:
    """Prometheus exposition of a health document (prometheus-client does the format)."""
    from prometheus_client import CollectorRegistry, generate_latest
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

    class Collector:
        def collect(self):  # type: ignore[no-untyped-def]
            up = GaugeMetricFamily(
                "jirasync_worker_up", "1 if the pair's worker runs (or stands by)", labels=["worker"]
            )
            ok = GaugeMetricFamily(
                "jirasync_worker_ok", "1 if the worker runs and its last cycle had no error", labels=["worker"]
            )
            state = GaugeMetricFamily(
                "jirasync_worker_state", "Current state of the worker (1 = in this state)", labels=["worker", "state"]
            )
            restarts = CounterMetricFamily(
                "jirasync_worker_restarts", "Worker restarts by the supervisor", labels=["worker"]
            )
            last_ok = GaugeMetricFamily(
                "jirasync_last_successful_sync_timestamp_seconds",
                "Unix time of the last successful cycle",
                labels=["worker"],
            )
            cycles = CounterMetricFamily("jirasync_cycles", "Cycles completed", labels=["worker"])
            rss = GaugeMetricFamily("jirasync_worker_resident_memory_bytes", "Worker RSS", labels=["worker"])
            age = GaugeMetricFamily(
                "jirasync_worker_heartbeat_age_seconds", "Seconds since the last heartbeat", labels=["worker"]
            )
            requests = CounterMetricFamily(
                "jirasync_jira_requests", "Requests sent to Jira (retries included)", labels=["worker", "kind"]
            )
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
            yield from _webhook_metrics(doc, CounterMetricFamily, GaugeMetricFamily)
            healthy = GaugeMetricFamily("jirasync_healthy", "1 healthy, 0.5 degraded, 0 unhealthy")
            healthy.add_metric([], {"healthy": 1.0, "degraded": 0.5}.get(doc.get("status", ""), 0.0))
            yield from (up, ok, state, restarts, last_ok, cycles, rss, age, requests, healthy)

    registry = CollectorRegistry(auto_describe=False)
    registry.register(Collector())
    return generate_latest(registry)


def _webhook_metrics(doc: dict[str, Any], counter: Any, gauge: Any) -> list[Any]:
    """Webhook deliveries (all pairs) and events per listening pair."""
    hooks = counter(
        "jirasync_webhook_events",
        "Webhook deliveries by result (received = accepted + ignored + rejected)",
        labels=["result"],
    )
    summary = doc.get("webhooks") or {}
    for result in ("received", "accepted", "ignored", "rejected"):
        if result in summary:
            hooks.add_metric([result], float(summary[result]))
    rejected = counter("jirasync_webhook_rejected", "Webhook deliveries rejected, by reason", labels=["reason"])
    for reason, count in sorted((summary.get("rejected_by") or {}).items()):
        rejected.add_metric([reason], float(count))
    pair_events = counter("jirasync_webhook_pair_events", "Webhook events routed to the pair", labels=["worker"])
    coalesced = counter(
        "jirasync_webhook_coalesced",
        "Webhook events that caused no cycle of their own (a burst, or events during a cycle)",
        labels=["worker"],
    )
    hook_age = gauge(
        "jirasync_webhook_last_event_age_seconds", "Seconds since the pair's last webhook event", labels=["worker"]
    )
    for w in doc.get("workers", []):
        pair = w.get("webhooks")
        if not pair:
            continue
        pair_events.add_metric([w["name"]], float(pair.get("received") or 0))
        coalesced.add_metric([w["name"]], float(pair.get("coalesced") or 0))
        if pair.get("last_event_age_seconds") is not None:
            hook_age.add_metric([w["name"]], float(pair["last_event_age_seconds"]))
    return [hooks, rejected, pair_events, coalesced, hook_age]
