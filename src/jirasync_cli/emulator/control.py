"""Control API under ``/_emulator/`` (JSON, no auth): drive the emulator from another process.

Not part of the Jira API, so not in the request log.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from .errors import EmulatorError
from .router import Response, Router
from .workflow import Workflow

if TYPE_CHECKING:
    from .emulator import JiraEmulator


def _json(obj: Any) -> bytes:
    def default(o: Any) -> Any:
        if isinstance(o, (datetime, date)):
            return o.isoformat()
        return str(o)

    return json.dumps(obj, default=default, separators=(",", ":")).encode("utf-8")


def _reply(status: int, obj: Any) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json;charset=UTF-8"}, _json(obj)


@dataclass
class Control:
    """One control request: the emulator, the query (last value of each name) and the JSON body."""

    emu: JiraEmulator
    q: dict[str, str]
    data: dict[str, Any]


control = Router()  # the same router as the REST API, with routes of its own


def _workflow(raw: Any) -> Workflow | None:
    if raw is None:
        return None
    if raw == "user":
        return Workflow.user_default()
    if raw == "dev":
        return Workflow.dev_default()
    if raw == "dev-de":  # the engineering workflow as a German-speaking site names it
        return Workflow.dev_german()
    if isinstance(raw, list):
        return Workflow.simple(raw)
    if isinstance(raw, dict):
        return Workflow.from_dict(raw)
    raise EmulatorError("workflow must be 'user', 'dev', 'dev-de', a list of status names or a workflow object")


def _at(raw: Any) -> datetime | None:
    return datetime.fromisoformat(raw) if raw else None


def handle(emu: JiraEmulator, method: str, path: str, query: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
    try:
        data = json.loads(body) if body.strip() else {}
    except ValueError:
        return _reply(400, {"error": "request body is not JSON"})
    q = {k: v[-1] for k, v in parse_qs(query).items()}
    sub = path[len("/_emulator") :].rstrip("/") or "/"
    route, params, _exists = control.match(method, sub, cloud=emu.mode == "cloud")
    if route is None:
        return _reply(404, {"error": f"no control route {method} /_emulator{sub}"})
    try:
        response = route.handler(Control(emu, q, data), **params)
    except (EmulatorError, ValueError, KeyError, TypeError) as exc:
        return _reply(400, {"error": str(exc)})
    return _reply(response.status, response.body)


@control.add("GET", "/state")
def state(c: Control) -> Response:
    return Response(200, c.emu.summary())


@control.add("POST", "/projects")
def add_project(c: Control) -> Response:
    d = c.data
    return Response(
        201,
        c.emu.add_project(
            d["key"],
            d.get("name"),
            _workflow(d.get("workflow")),
            d.get("lead"),
            d.get("description", ""),
            screens=d.get("screens"),
        ),
    )


@control.add("GET", "/screens")
def screens(c: Control) -> Response:
    return Response(200, c.emu.screens_summary())


@control.add("PUT", "/screens")
@control.add("POST", "/screens")
def set_screens(c: Control) -> Response:
    c.emu.set_screens(c.data.get("screens"), c.data.get("project"))
    return Response(200, c.emu.screens_summary())


@control.add("GET", "/issues")
def issues(c: Control) -> Response:
    return Response(200, c.emu.issues(c.q.get("project")))


@control.add("POST", "/issues")
def create_issue(c: Control) -> Response:
    d = c.data
    key = c.emu.create_issue(
        d["project"],
        d["summary"],
        d.get("description"),
        d.get("issuetype", "Task"),
        d.get("priority"),
        d.get("labels"),
        d.get("status"),
        d.get("as"),
        d.get("assignee"),
        _at(d.get("at")),
    )
    return Response(201, c.emu.issue(key))


@control.add("GET", "/issues/{key}")
def issue(c: Control, key: str) -> Response:
    return Response(200, c.emu.issue(key))


@control.add("DELETE", "/issues/{key}")
@control.add("POST", "/issues/{key}/delete")
def delete_issue(c: Control, key: str) -> Response:
    c.emu.delete_issue(key)
    return Response(200, {"deleted": key})


@control.add("POST", "/issues/{key}/transition")
def transition(c: Control, key: str) -> Response:
    c.emu.transition(key, c.data["status"], c.data.get("as"), _at(c.data.get("at")))
    return Response(200, c.emu.issue(key))


@control.add("POST", "/issues/{key}/comment")
def comment(c: Control, key: str) -> Response:
    d = c.data
    cid = c.emu.add_comment(key, d["body"], d.get("as"), _at(d.get("at")), d.get("properties"))
    return Response(201, {"id": cid, "key": key})


@control.add("POST", "/issues/{key}/edit")
def edit(c: Control, key: str) -> Response:
    fields = c.data.get("fields") or {k: v for k, v in c.data.items() if k not in ("as", "at")}
    c.emu.edit(key, fields, c.data.get("as"), _at(c.data.get("at")))
    return Response(200, c.emu.issue(key))


@control.add("GET", "/requests")
def requests_log(c: Control) -> Response:
    entries = c.emu.request_log
    since = int(c.q.get("since", 0))
    return Response(200, {"count": len(entries), "entries": [e.to_dict() for e in entries[since:]]})


@control.add("DELETE", "/requests")
def clear_requests(c: Control) -> Response:
    c.emu.clear_request_log()
    return Response(200, {"cleared": True})


@control.add("GET", "/faults")
def faults(c: Control) -> Response:
    return Response(200, c.emu.faults.to_dict())


@control.add("PUT", "/faults")
@control.add("POST", "/faults")
def set_faults(c: Control) -> Response:
    if c.data.get("clear"):
        c.emu.faults.clear()
    c.emu.faults.update(c.data)
    return Response(200, c.emu.faults.to_dict())


@control.add("GET", "/webhooks")
def webhooks(c: Control) -> Response:
    return Response(200, c.emu.webhooks.summary())


@control.add("PUT", "/webhooks")
@control.add("POST", "/webhooks")
def set_webhooks(c: Control) -> Response:
    c.emu.webhooks.configure(**c.data)
    return Response(200, c.emu.webhooks.summary())


@control.add("GET", "/settings")
def settings(c: Control) -> Response:
    return Response(200, c.emu.configure())


@control.add("PUT", "/settings")
@control.add("POST", "/settings")
def set_settings(c: Control) -> Response:
    return Response(200, c.emu.configure(**c.data))


@control.add("PUT", "/clock")
@control.add("POST", "/clock")
def clock(c: Control) -> Response:
    if "offset_seconds" in c.data:
        c.emu.clock_offset_seconds = float(c.data["offset_seconds"])
    if "advance_seconds" in c.data:
        c.emu.advance(float(c.data["advance_seconds"]))
    return Response(200, {"now": c.emu.now().isoformat(), "offset_seconds": c.emu.clock_offset_seconds})


@control.add("POST", "/reset")
def reset(c: Control) -> Response:
    c.emu.reset()
    if c.data.get("seed_demo"):
        from .seed import seed_pairs

        seed_pairs(c.emu, pairs=int(c.data.get("pairs", 2)), issues_per_pair=int(c.data.get("issues_per_pair", 30)))
    return Response(200, c.emu.summary())


@control.add("POST", "/save")
def save(c: Control) -> Response:
    if not c.emu.persist_path:
        return Response(400, {"error": "the emulator runs without a persist path"})
    c.emu.save()
    return Response(200, {"saved": str(c.emu.persist_path)})
