"""Control API under ``/_emulator/`` (JSON, no auth): drive the emulator from another process.

Not part of the Jira API, so not in the request log.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from .errors import EmulatorError
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


def _workflow(raw: Any) -> Workflow | None:
    if raw is None:
        return None
    if raw == "user":
        return Workflow.user_default()
    if raw == "dev":
        return Workflow.dev_default()
    if isinstance(raw, list):
        return Workflow.simple(raw)
    if isinstance(raw, dict):
        return Workflow.from_dict(raw)
    raise EmulatorError("workflow must be 'user', 'dev', a list of status names or a workflow object")


def _at(raw: Any) -> datetime | None:
    return datetime.fromisoformat(raw) if raw else None


def handle(emu: JiraEmulator, method: str, path: str, query: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
    try:
        data = json.loads(body) if body.strip() else {}
    except ValueError:
        return _reply(400, {"error": "request body is not JSON"})
    q = {k: v[-1] for k, v in parse_qs(query).items()}
    sub = path[len("/_emulator"):].rstrip("/") or "/"
    try:
        return _route(emu, method, sub, q, data)
    except (EmulatorError, ValueError, KeyError, TypeError) as exc:
        return _reply(400, {"error": str(exc)})


def _route(emu: JiraEmulator, method: str, sub: str, q: dict[str, Any],
           data: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    if sub == "/state" and method == "GET":
        return _reply(200, emu.summary())
    if sub == "/projects" and method == "POST":
        return _reply(201, emu.add_project(data["key"], data.get("name"), _workflow(data.get("workflow")),
                                           data.get("lead"), data.get("description", ""),
                                           screens=data.get("screens")))
    if sub == "/screens" and method == "GET":
        return _reply(200, emu.screens_summary())
    if sub == "/screens" and method in ("PUT", "POST"):
        emu.set_screens(data.get("screens"), data.get("project"))
        return _reply(200, emu.screens_summary())
    if sub == "/issues" and method == "GET":
        return _reply(200, emu.issues(q.get("project")))
    if sub == "/issues" and method == "POST":
        key = emu.create_issue(data["project"], data["summary"], data.get("description"),
                               data.get("issuetype", "Task"), data.get("priority"), data.get("labels"),
                               data.get("status"), data.get("as"), data.get("assignee"), _at(data.get("at")))
        return _reply(201, emu.issue(key))
    m = re.fullmatch(r"/issues/([^/]+)(?:/(transition|comment|edit|delete))?", sub)
    if m:
        key, action = m.group(1), m.group(2)
        if action is None and method == "GET":
            return _reply(200, emu.issue(key))
        if action is None and method == "DELETE" or action == "delete" and method == "POST":
            emu.delete_issue(key)
            return _reply(200, {"deleted": key})
        if action == "transition" and method == "POST":
            emu.transition(key, data["status"], data.get("as"), _at(data.get("at")))
            return _reply(200, emu.issue(key))
        if action == "comment" and method == "POST":
            cid = emu.add_comment(key, data["body"], data.get("as"), _at(data.get("at")), data.get("properties"))
            return _reply(201, {"id": cid, "key": key})
        if action == "edit" and method == "POST":
            fields = data.get("fields") or {k: v for k, v in data.items() if k not in ("as", "at")}
            emu.edit(key, fields, data.get("as"), _at(data.get("at")))
            return _reply(200, emu.issue(key))
    if sub == "/requests" and method == "GET":
        entries = emu.request_log
        since = int(q.get("since", 0))
        return _reply(200, {"count": len(entries), "entries": [e.to_dict() for e in entries[since:]]})
    if sub == "/requests" and method == "DELETE":
        emu.clear_request_log()
        return _reply(200, {"cleared": True})
    if sub == "/faults" and method == "GET":
        return _reply(200, emu.faults.to_dict())
    if sub == "/faults" and method in ("PUT", "POST"):
        if data.get("clear"):
            emu.faults.clear()
        emu.faults.update(data)
        return _reply(200, emu.faults.to_dict())
    if sub == "/settings" and method == "GET":
        return _reply(200, emu.configure())
    if sub == "/settings" and method in ("PUT", "POST"):
        return _reply(200, emu.configure(**data))
    if sub == "/clock" and method in ("PUT", "POST"):
        if "offset_seconds" in data:
            emu.clock_offset_seconds = float(data["offset_seconds"])
        if "advance_seconds" in data:
            emu.advance(float(data["advance_seconds"]))
        return _reply(200, {"now": emu.now().isoformat(), "offset_seconds": emu.clock_offset_seconds})
    if sub == "/reset" and method == "POST":
        emu.reset()
        if data.get("seed_demo"):
            from .seed import seed_pairs
            seed_pairs(emu, pairs=int(data.get("pairs", 2)), issues_per_pair=int(data.get("issues_per_pair", 30)))
        return _reply(200, emu.summary())
    if sub == "/save" and method == "POST":
        if not emu.persist_path:
            return _reply(400, {"error": "the emulator runs without a persist path"})
        emu.save()
        return _reply(200, {"saved": str(emu.persist_path)})
    return _reply(404, {"error": f"no control route {method} /_emulator{sub}"})
