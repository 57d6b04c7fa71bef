"""The supervisor's ``/`` for people: an HTML status page built from the ``/health`` document.

Served when the client asks for HTML (a browser's ``Accept: text/html``); probes and scripts
keep getting JSON. One table row per pair (state, pid, last cycle, last success, restarts,
last exit, heartbeat age, memory, error), the overall status and the config problems. It
is rendered from the already redacted document, escapes every value, and reloads itself.
"""

from __future__ import annotations

from html import escape
from typing import Any

REFRESH_SECONDS = 5

_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#172b4d}
h1{font-size:1.4em}table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid #dfe1e6;padding:.35em .5em;text-align:left;vertical-align:top}th{background:#f4f5f7}
.pill{display:inline-block;padding:0 .5em;border-radius:3px;font-weight:600;color:#fff;background:#6b778c}
.healthy,.running,.ok{background:#00875a}.degraded,.standby,.starting,.backoff{background:#ff991f}
.unhealthy,.failed,.stopped,.error{background:#de350b}
.errors li{color:#de350b}.muted{color:#6b778c}td:first-child{white-space:nowrap}
"""

COLUMNS = (
    "Pair",
    "State",
    "PID",
    "Last cycle",
    "Last success",
    "Restarts",
    "Last exit",
    "Heartbeat",
    "Memory",
    "Error",
)


def _text(value: Any) -> str:
    return "" if value is None else escape(str(value))


def _pill(value: Any) -> str:
    word = str(value or "unknown")
    return f'<span class="pill {escape(word)}">{escape(word)}</span>'


def _last_cycle(cycle: dict[str, Any] | None) -> str:
    if not cycle:
        return '<span class="muted">none yet</span>'
    details = [str(cycle.get(k)) for k in ("mode",) if cycle.get(k)]
    if cycle.get("durationSeconds") is not None:
        details.append(f"{cycle['durationSeconds']} s")
    if cycle.get("issuesSeen") is not None:
        details.append(f"{cycle['issuesSeen']} issues")
    actions = cycle.get("actions") or {}
    if actions:
        details.append(", ".join(f"{k} {v}" for k, v in actions.items()))
    if cycle.get("errors"):
        details.append(f"{cycle['errors']} error{'s' if cycle['errors'] != 1 else ''}")
    started = f'<br><span class="muted">{_text(cycle.get("startedAt"))}</span>' if cycle.get("startedAt") else ""
    return f"{_pill(cycle.get('result'))} {escape(' · '.join(details))}{started}"


def _row(worker: dict[str, Any]) -> str:
    age = worker.get("heartbeat_age_seconds")
    rss = worker.get("rss_bytes")
    cells = [
        f"<b>{_text(worker.get('name'))}</b>",
        _pill(worker.get("state")),
        _text(worker.get("pid")),
        _last_cycle(worker.get("last_cycle")),
        _text(worker.get("last_success")) or '<span class="muted">never</span>',
        _text(worker.get("restarts")),
        _text(worker.get("last_exit")),
        f"{age} s ago" if age is not None else "",
        f"{rss / 1e6:.0f} MB" if isinstance(rss, (int, float)) else "",
        _text(worker.get("error")),
    ]
    name = _text(worker.get("name"))
    return (
        f'<tr class="worker" data-name="{name}" data-state="{_text(worker.get("state"))}">'
        + "".join(f"<td>{cell}</td>" for cell in cells)
        + "</tr>"
    )


def render(doc: dict[str, Any]) -> bytes:
    workers = doc.get("workers") or []
    rows = "".join(_row(w) for w in workers) or f'<tr><td colspan="{len(COLUMNS)}" class="muted">No pairs.</td></tr>'
    problems = [*(doc.get("errors") or []), *(f"invalid config: {p}" for p in doc.get("invalid_configs") or [])]
    problem_list = (
        '<ul class="errors">' + "".join(f"<li>{_text(p)}</li>" for p in problems) + "</ul>" if problems else ""
    )
    facts = []
    if doc.get("version"):
        facts.append(f"version {_text(doc['version'])}")
    if doc.get("uptime_seconds") is not None:
        facts.append(f"up {_text(doc['uptime_seconds'])} s")
    if doc.get("source"):
        facts.append(f"from {_text(doc['source'])} heartbeats")
    head = "".join(f"<th>{c}</th>" for c in COLUMNS)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="refresh" content="{REFRESH_SECONDS}">'
        f"<title>jirasync: {_text(doc.get('status'))}</title>"
        f"<style>{_STYLE}</style></head><body>"
        f'<h1>jirasync <span id="status">{_pill(doc.get("status"))}</span></h1>'
        f'<p class="muted">{" · ".join(facts)}. Refreshed every {REFRESH_SECONDS} s; '
        'JSON at <a href="/health">/health</a>, metrics at <a href="/metrics">/metrics</a>.</p>'
        f'{problem_list}<table id="workers"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'
        "</body></html>"
    ).encode()
