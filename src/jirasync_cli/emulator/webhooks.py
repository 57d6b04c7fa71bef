"""Admin webhooks: registered over ``/rest/webhooks/1.0/webhook`` (Cloud and Data Center, admins
only), delivered by a sender thread to each registration's URL, signed with its secret.

Registration (what Jira takes and answers)::

    POST /rest/webhooks/1.0/webhook
    {"name": "...", "url": "https://...", "events": ["jira:issue_updated", ...],
     "filters": {"issue-related-events-section": "project in (USER, DEV)"},
     "excludeBody": false, "secret": "..."}
    -> 201 {"self": ".../rest/webhooks/1.0/webhook/1", "name", "url", "events", "filters",
            "excludeBody", "enabled", "lastUpdatedUser", "lastUpdatedDisplayName", "lastUpdated"}

``GET`` lists them (the secret is never shown), ``GET/PUT/DELETE .../webhook/{id}`` one.

Deliveries have the payload shapes of each deployment (see
:mod:`jirasync_cli.webhooks.events`): a comment event carries the issue on Cloud, only the
comment on Data Center; link events carry issue ids. A delivery is signed
``X-Hub-Signature: sha256=<hmac>`` when the registration has a secret, and carries
``X-Atlassian-Webhook-Identifier``.

Switches, like the strictness settings (``emu.webhooks.configure(...)`` or
``PUT /_emulator/webhooks``): ``drop`` (share of deliveries lost, 0..1), ``delay_seconds``
(each delivery that much late), ``duplicate`` (share sent twice), ``reorder_seconds`` (each
delivery late by a random 0..this, so a burst arrives shuffled), ``enabled`` (all off).
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import random
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import ApiError
from .jql import JqlError
from .jql_eval import Env, compile_query
from .render import Renderer
from .router import Ctx, Response, router

if TYPE_CHECKING:
    from .emulator import JiraEmulator
    from .model import Comment, Issue, IssueLink

log = logging.getLogger("jirasync.emulator.webhooks")

FILTER_KEY = "issue-related-events-section"
ADMINS = "jira-administrators"
SWITCHES = ("enabled", "drop", "delay_seconds", "duplicate", "reorder_seconds")
SEND_TIMEOUT = 10.0
LOG_LIMIT = 100_000


@dataclass
class Registration:
    id: int
    name: str
    url: str
    events: list[str]
    jql: str | None
    exclude_body: bool
    secret: str | None
    updated_by: str
    updated_at: int
    enabled: bool = True


@dataclass
class Switches:
    enabled: bool = True
    drop: float = 0.0
    delay_seconds: float = 0.0
    duplicate: float = 0.0
    reorder_seconds: float = 0.0


@dataclass(order=True)
class _Queued:
    at: float
    seq: int
    url: str = field(compare=False)
    body: bytes = field(compare=False)
    headers: dict[str, str] = field(compare=False)
    event: str = field(compare=False)
    registration: int = field(compare=False)


class Webhooks:
    def __init__(self, emu: JiraEmulator, seed: int = 0) -> None:
        self.emu = emu
        self.registrations: dict[int, Registration] = {}
        self.switches = Switches()
        self._ids = itertools.count(1)
        self._seq = itertools.count()
        self._rng = random.Random(seed)
        self._queue: list[_Queued] = []
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self.deliveries: list[dict[str, Any]] = []  # what happened to each one (sent, dropped, failed)
        self._compiled: dict[str, Any] = {}  # JQL filter -> compiled predicate

    # ---------------------------------------------------------------- switches
    def configure(self, **values: Any) -> dict[str, Any]:
        for name, value in values.items():
            if name not in SWITCHES:
                raise ValueError(f"unknown webhook switch {name!r}")
            kind = type(getattr(self.switches, name))
            value = kind(value)
            if name in ("drop", "duplicate") and not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
            if name != "enabled" and value < 0:
                raise ValueError(f"{name} must not be negative")
            setattr(self.switches, name, value)
        return {name: getattr(self.switches, name) for name in SWITCHES}

    def summary(self) -> dict[str, Any]:
        counts: dict[str, int] = {}
        for d in list(self.deliveries):
            counts[d["outcome"]] = counts.get(d["outcome"], 0) + 1
        return {
            "switches": self.configure(),
            "registrations": [self.render(r) for r in self.registrations.values()],
            "deliveries": counts,
            "queued": len(self._queue),
        }

    def clear(self) -> None:
        with self._cond:
            self.registrations.clear()
            self._queue.clear()
        self.deliveries.clear()
        self.switches = Switches()

    # ---------------------------------------------------------------- lifecycle
    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._queue.clear()
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        self._stopping = False

    def _ensure_sender(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._send_loop, name="emulator-webhooks", daemon=True)
            self._thread.start()

    # ---------------------------------------------------------------- registrations (REST)
    def render(self, r: Registration) -> dict[str, Any]:
        acc = self.emu.accounts.get(r.updated_by)
        return {
            "self": f"{self.emu.base_url}/rest/webhooks/1.0/webhook/{r.id}",
            "name": r.name,
            "url": r.url,
            "events": list(r.events),
            "filters": {FILTER_KEY: r.jql or ""},
            "excludeBody": r.exclude_body,
            "enabled": r.enabled,
            "lastUpdatedUser": (acc.account_id if self.emu.mode == "cloud" else acc.key or acc.name) if acc else None,
            "lastUpdatedDisplayName": acc.display_name if acc else None,
            "lastUpdated": r.updated_at,
        }

    def upsert(self, ctx: Ctx, body: Any, existing: Registration | None = None) -> Registration:
        if not isinstance(body, dict):
            raise ApiError(400, ["Request body must be a JSON object."])
        name, url, events = body.get("name"), body.get("url"), body.get("events")
        if not isinstance(name, str) or not name.strip():
            raise ApiError(400, ["Webhook name must not be empty."])
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ApiError(400, ["Webhook URL must be an absolute http(s) URL."])
        if events is None:
            events = []
        if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
            raise ApiError(400, ["events must be a list of event names."])
        filters = body.get("filters") or {}
        jql = filters.get(FILTER_KEY) if isinstance(filters, dict) else None
        if jql:
            try:
                compile_query(jql, self._env(ctx.account))
            except JqlError as exc:
                raise ApiError(400, [f"Invalid JQL filter: {exc.message}"]) from None
        secret = body.get("secret")
        if secret is not None and not isinstance(secret, str):
            raise ApiError(400, ["secret must be a string."])
        reg = Registration(
            id=existing.id if existing else next(self._ids),
            name=name.strip(),
            url=url,
            events=events,
            jql=jql or None,
            exclude_body=bool(body.get("excludeBody", False)),
            secret=secret if secret is not None else (existing.secret if existing else None),  # kept when omitted
            updated_by=ctx.account.name,
            updated_at=ctx.now_ms,
            enabled=bool(body.get("enabled", True)),
        )
        with self._cond:
            self.registrations[reg.id] = reg
        return reg

    # ---------------------------------------------------------------- events (under the state lock)
    def _env(self, account: Any) -> Env:
        emu = self.emu
        return Env(emu.state, emu.accounts, account, emu.timezone, emu.clock.now_ms(), emu.mode == "cloud")

    def changed(
        self,
        kind: str,
        issue: Issue,
        actor: str | None,
        *,
        comment: Comment | None = None,
        link: IssueLink | None = None,
        items: list[dict[str, Any]] | None = None,
    ) -> None:
        """A change the Domain applied; called with the state lock held, so it only renders
        and queues (the sender thread does the HTTP)."""
        if not self.registrations or not self.switches.enabled:
            return
        wanted = [r for r in list(self.registrations.values()) if r.enabled and (not r.events or kind in r.events)]
        if not wanted:
            return
        wanted = [r for r in wanted if self._matches(r, issue)]
        if not wanted:
            return
        body = self._payload(kind, issue, actor, comment, link, items)
        for r in wanted:
            self._queue_delivery(r, kind, body)

    def _matches(self, r: Registration, issue: Issue) -> bool:
        if not r.jql:
            return True
        compiled = self._compiled.get(r.jql)
        if compiled is None:
            try:
                compiled = compile_query(r.jql, self._env(self.emu.accounts.get(r.updated_by)))
            except JqlError:
                return False
            if not compiled.uses_now:  # relative dates move with the clock: compiled each time
                self._compiled[r.jql] = compiled
        return compiled.predicate is None or compiled.predicate(issue)

    def _payload(
        self,
        kind: str,
        issue: Issue,
        actor: str | None,
        comment: Comment | None,
        link: IssueLink | None,
        items: list[dict[str, Any]] | None,
    ) -> dict[str, Any]:
        emu = self.emu
        cloud = emu.mode == "cloud"
        r = Renderer(
            emu.state,
            emu.accounts,
            base=emu.base_url,
            version="2",
            cloud=cloud,
            tz=emu.timezone,
            default_tz=emu.timezone,
        )
        doc: dict[str, Any] = {"timestamp": emu.clock.now_ms(), "webhookEvent": kind}
        proj = emu.state.projects_by_id.get(issue.project_id)
        fields = {
            "summary": issue.summary,
            "issuetype": r.issuetype(issue.issuetype_id),
            "project": r.project_ref(proj) if proj else None,
            "assignee": r.user(issue.assignee),
            "priority": r.priority(issue.priority_id),
            "status": r.status(issue.status),
        }
        reduced = {"id": str(issue.id), "self": f"{r.api}/issue/{issue.id}", "key": issue.key, "fields": fields}
        if kind.startswith("issuelink_") and link is not None:
            lt = r.link_type(link.type_id)
            doc["issueLink"] = {
                "id": int(link.id),
                "sourceIssueId": int(link.inward_id),
                "destinationIssueId": int(link.outward_id),
                "issueLinkType": {
                    "id": int(lt["id"]),
                    "name": lt["name"],
                    "outwardName": lt["outward"],
                    "inwardName": lt["inward"],
                    "isSubTaskLinkType": False,
                    "isSystemLinkType": False,
                },
                "systemLink": False,
            }
            return doc
        if kind.startswith("comment_"):
            if comment is not None:
                doc["comment"] = r.comment(comment)
            if cloud:  # Data Center sends the comment alone
                doc["issue"] = reduced
            return doc
        if actor is not None and r.user(actor) is not None:
            doc["user"] = r.user(actor)
        full = dict(reduced)
        full["fields"] = {
            **fields,
            "labels": list(issue.labels),
            "created": r.ts(issue.created),
            "updated": r.ts(issue.updated),
            "reporter": r.user(issue.reporter),
            "resolution": r.resolution(issue.resolution_id),
        }
        doc["issue"] = full
        transition = any(i.get("field") == "status" for i in items or ())
        doc["issue_event_type_name"] = {  # Jira's finer name: a transition is issue_generic, an edit issue_updated
            "jira:issue_created": "issue_created",
            "jira:issue_deleted": "issue_deleted",
        }.get(kind, "issue_generic" if transition else "issue_updated")
        if items:
            doc["changelog"] = {
                "id": str(issue.histories[-1].id) if issue.histories else "0",
                "items": [dict(i) for i in items],
            }
        if comment is not None:
            doc["issue_event_type_name"] = "issue_commented"
            doc["comment"] = r.comment(comment)
        return doc

    def _queue_delivery(self, r: Registration, kind: str, body_doc: dict[str, Any]) -> None:
        sw = self.switches
        body = json.dumps(
            {**body_doc, **({"matchedWebhookIds": [r.id]} if self.emu.mode == "cloud" else {})}, separators=(",", ":")
        ).encode()
        if r.exclude_body:
            body = b""
        identifier = str(uuid.uuid4())
        if sw.drop and self._rng.random() < sw.drop:
            self._record(r, kind, identifier, "dropped", None)
            return
        copies = 2 if sw.duplicate and self._rng.random() < sw.duplicate else 1
        headers = {
            "Content-Type": "application/json; charset=UTF-8",
            "X-Atlassian-Webhook-Identifier": identifier,
            "X-Atlassian-Webhook-Flow": "Primary",
            "User-Agent": "Atlassian Webhook HTTP Client",
        }
        if r.secret:
            from jirasync_cli.webhooks.signature import sign

            headers["X-Hub-Signature"] = sign(r.secret, body)
        now = time.monotonic()
        with self._cond:
            for _ in range(copies):
                at = now + sw.delay_seconds + (self._rng.uniform(0, sw.reorder_seconds) if sw.reorder_seconds else 0.0)
                heapq.heappush(self._queue, _Queued(at, next(self._seq), r.url, body, headers, kind, r.id))
            self._cond.notify()
        self._ensure_sender()

    # ---------------------------------------------------------------- sender thread
    def _send_loop(self) -> None:
        while True:
            with self._cond:
                while not self._stopping and (not self._queue or self._queue[0].at > time.monotonic()):
                    self._cond.wait(None if not self._queue else max(0.0, self._queue[0].at - time.monotonic()))
                if self._stopping:
                    return
                item = heapq.heappop(self._queue)
            self._post(item)

    def _post(self, item: _Queued) -> None:
        request = urllib.request.Request(item.url, data=item.body, headers=item.headers, method="POST")
        identifier = item.headers["X-Atlassian-Webhook-Identifier"]
        try:
            with urllib.request.urlopen(request, timeout=SEND_TIMEOUT) as answer:
                answer.read()
                status: int | None = answer.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except (OSError, ValueError) as exc:  # refused, timed out: Jira gives up on it too (retries aside)
            log.debug("webhook delivery failed: %s", exc)
            status = None
        reg = self.registrations.get(item.registration)
        outcome = "sent" if status is not None and status < 400 else "failed"
        if reg is not None:
            self._record(reg, item.event, identifier, outcome, status)

    def _record(self, r: Registration, kind: str, identifier: str, outcome: str, status: int | None) -> None:
        if len(self.deliveries) >= LOG_LIMIT:
            del self.deliveries[: LOG_LIMIT // 10]
        self.deliveries.append(
            {
                "webhook": r.id,
                "event": kind,
                "identifier": identifier,
                "outcome": outcome,
                "status": status,
                "at": time.time(),
            }
        )


# -------------------------------------------------------------------- REST routes
# Served under /rest/webhooks/1.0/ (server.py maps it onto the router as /_webhooks/...).


def _admin(ctx: Ctx) -> None:
    if ADMINS not in ctx.account.groups:
        raise ApiError(403, ["You are not authorized to perform this operation. Please log in."])


def _registration(ctx: Ctx, ident: str) -> Registration:
    reg = ctx.emu.webhooks.registrations.get(int(ident)) if ident.isdigit() else None
    if reg is None:
        raise ApiError(404, [f"Webhook with id {ident} not found."])
    return reg


@router.add("GET", "/_webhooks/webhook")
def list_webhooks(ctx: Ctx) -> Response:
    _admin(ctx)
    hooks = ctx.emu.webhooks
    return Response(200, [hooks.render(r) for r in hooks.registrations.values()])


@router.add("POST", "/_webhooks/webhook")
def create_webhook(ctx: Ctx) -> Response:
    _admin(ctx)
    hooks = ctx.emu.webhooks
    return Response(201, hooks.render(hooks.upsert(ctx, ctx.body)))


@router.add("GET", "/_webhooks/webhook/{ident}")
def get_webhook(ctx: Ctx, ident: str) -> Response:
    _admin(ctx)
    return Response(200, ctx.emu.webhooks.render(_registration(ctx, ident)))


@router.add("PUT", "/_webhooks/webhook/{ident}")
def update_webhook(ctx: Ctx, ident: str) -> Response:
    _admin(ctx)
    hooks = ctx.emu.webhooks
    return Response(200, hooks.render(hooks.upsert(ctx, ctx.body, _registration(ctx, ident))))


@router.add("DELETE", "/_webhooks/webhook/{ident}")
def delete_webhook(ctx: Ctx, ident: str) -> Response:
    _admin(ctx)
    reg = _registration(ctx, ident)
    hooks = ctx.emu.webhooks
    with hooks._cond:
        hooks.registrations.pop(reg.id, None)
    return Response(204)
