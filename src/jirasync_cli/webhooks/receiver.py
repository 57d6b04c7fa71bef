"""``POST /webhook``: authenticate, decode, route, hand over; answered on the health server's
thread in microseconds, never waiting for a cycle.

* with a secret, a delivery without a valid ``X-Hub-Signature`` gets 401 and is counted as
  rejected (so does a body that is not a Jira webhook, with 400); the body limit (413) is
  the HTTP server's;
* a delivery naming no listening pair gets 202 and is counted as ignored;
* a routed one gets 202; the pairs go to the supervisor's loop through a queue and a wake-up
  byte (the loop owns the coalescers and the workers' pipes).

The URL may name pairs (``/webhook?pair=sync-ab``, as ``webhooks register`` sets it) for
deliveries that name no project (Data Center comment and link events carry ids only).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from jirasync_cli.webhooks import events, signature
from jirasync_cli.webhooks.routing import Routes

log = logging.getLogger("jirasync.webhooks")

PATH = "/webhook"
JSON = "application/json"
LOG_EVERY = 60.0  # rejections are logged at most this often (a probe must not flood the log)


def _reply(code: int, doc: dict[str, Any]) -> tuple[int, bytes, str]:
    return code, json.dumps(doc, separators=(",", ":")).encode() + b"\n", JSON


class Receiver:
    def __init__(self, secret: str | None, wake: Callable[[], None] = lambda: None) -> None:
        self.secret = secret or None
        self.routes = Routes()  # replaced whole by the supervisor on (re)load
        self.wake = wake
        self.outbox: deque[tuple[frozenset[str], float]] = deque()  # (pairs, monotonic arrival)
        self._lock = threading.Lock()
        self.totals = {"received": 0, "accepted": 0, "rejected": 0, "ignored": 0}
        self.rejected_by = {"signature": 0, "malformed": 0}
        self.last_any: float | None = None  # wall time of the last accepted delivery
        self._logged_at = -LOG_EVERY

    # -- the HTTP server's thread -----------------------------------------------------------
    def handle(self, target: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes, str]:
        parts = urlsplit(target)
        if parts.path.rstrip("/") != PATH:
            return _reply(404, {"error": "not found"})
        self._count("received")
        if self.secret is not None and not signature.verify(self.secret, body, headers.get(signature.HEADER)):
            self._reject("signature")
            return _reply(401, {"error": "missing or wrong X-Hub-Signature"})
        try:
            delivery = events.parse(json.loads(body))
        except ValueError:
            delivery = None
        if delivery is None:
            self._reject("malformed")
            return _reply(400, {"error": "not a Jira webhook"})
        hints = [p for values in parse_qs(parts.query).get("pair", []) for p in values.split(",") if p]
        pairs = self.routes.route(delivery, hints)
        with self._lock:
            self.last_any = time.time()
            if not pairs:
                self.totals["ignored"] += 1
            else:
                self.totals["accepted"] += 1
        if not pairs:
            return _reply(202, {"routed": 0})
        self.outbox.append((pairs, time.monotonic()))
        self.wake()
        return _reply(202, {"routed": len(pairs)})

    def _count(self, name: str) -> None:
        with self._lock:
            self.totals[name] += 1

    def _reject(self, reason: str) -> None:
        with self._lock:
            self.totals["rejected"] += 1
            self.rejected_by[reason] += 1
            now = time.monotonic()
            due = now - self._logged_at >= LOG_EVERY
            if due:
                self._logged_at = now
            counts = dict(self.rejected_by)
        if due:  # never the body or the headers: they are the sender's, and may carry anything
            log.warning("webhook delivery rejected", extra={"reason": reason, "rejected_so_far": counts})

    # -- the supervisor's loop ---------------------------------------------------------------
    def take(self) -> list[tuple[frozenset[str], float]]:
        out = []
        while self.outbox:
            out.append(self.outbox.popleft())
        return out

    def counts(self) -> dict[str, Any]:
        with self._lock:
            return {**self.totals, "rejected_by": dict(self.rejected_by), "last_at": self.last_any}
