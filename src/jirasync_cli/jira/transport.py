"""A requests transport adapter: pacing, rate-limit handling and safe retries for every call.

The ``jira`` package's own retry (ResilientSession) waits about 2x Retry-After, retries
only 429/503 and knows nothing of other pairs on the site, so we switch it off
(``max_retries=0``) and do it here, below every call the library or we make:

* every request first takes a token from the site's pacer, and is counted by kind
  (:class:`RequestCounter`);
* 429, and 503 with ``Retry-After``, mean "not processed": wait Retry-After and resend (any
  method). ``RateLimit-Reason`` says whose budget ran out: ``jira-per-issue-on-write`` pauses
  writes to that one issue; any other reason pauses the site and cuts its rate;
* ``X-RateLimit-NearLimit: true`` on an answer (under 20 % of Jira's budget left) cuts the
  site's rate before any 429;
* other 5xx and connection errors are retried with capped exponential backoff only for
  idempotent methods; a POST is never blindly resent (a create might have happened), the
  caller decides after checking.

It also reads Jira's clock from each response's ``Date`` header: watermarks come from
Jira's time, not ours.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections import Counter
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from requests import PreparedRequest, Response
from requests.adapters import HTTPAdapter
from requests.exceptions import ConnectionError, Timeout

from jirasync_cli.jira.pacing import Cancelled

IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
RETRYABLE_5XX = frozenset({500, 502, 503, 504})
PER_ISSUE_REASON = "jira-per-issue-on-write"
REQUEST_KINDS = ("search", "get", "create", "transition", "comment", "link", "property", "other")
_ISSUE_PATH = re.compile(r"/rest/api/(?:2|3|latest)/issue/([^/]+)(/.*)?$")


def request_kind(method: str, url: str) -> str:
    """The kind a request is counted as (one of :data:`REQUEST_KINDS`)."""
    path = urlsplit(url).path
    if "/properties" in path:
        return "property"
    if re.search(r"/rest/api/(?:2|3|latest)/search", path):
        return "search"
    if path.endswith("/issueLink") or "/issueLink/" in path or path.endswith("/remotelink"):
        return "link"
    m = _ISSUE_PATH.search(path)
    if m is None:
        return "create" if method == "POST" and re.search(r"/issue(/bulk)?$", path) else "other"
    key, rest = m.group(1), m.group(2) or ""
    if key == "bulk" and method == "POST":
        return "create"
    if rest.startswith("/transitions"):
        return "transition"
    if rest.startswith("/comment"):
        return "comment"
    if rest.startswith("/remotelink"):
        return "link"
    if not rest and method == "GET":
        return "get"
    return "other"


def issue_of(url: str) -> str | None:
    """The issue key or id a request is about (``/issue/{key}/...``), if any."""
    m = _ISSUE_PATH.search(urlsplit(url).path)
    return m.group(1) if m and m.group(1) != "bulk" else None


class RequestCounter:
    """Requests sent to Jira by kind, retries included (each costs budget): per client."""

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def add(self, kind: str) -> None:
        with self._lock:
            self._counts[kind] += 1

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    @staticmethod
    def since(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
        return {k: after.get(k, 0) - before.get(k, 0) for k in REQUEST_KINDS if after.get(k, 0) - before.get(k, 0)}


class IssuePauses:
    """Per-issue write pauses (Jira's per-issue write limit): the rest of the site runs on."""

    def __init__(self) -> None:
        self._until: dict[str, float] = {}
        self._lock = threading.Lock()

    def pause(self, issue: str, seconds: float) -> None:
        with self._lock:
            now = time.monotonic()
            self._until = {k: t for k, t in self._until.items() if t > now}  # stays small
            self._until[issue] = max(self._until.get(issue, 0.0), now + seconds)

    def remaining(self, issue: str) -> float:
        with self._lock:
            return max(0.0, self._until.get(issue, 0.0) - time.monotonic())


class ServerClock:
    """Jira's clock as seen in ``Date`` headers (second precision)."""

    def __init__(self) -> None:
        self.offset: float | None = None
        self._local = threading.local()

    def observe(self, response: Response) -> None:
        header = response.headers.get("Date")
        if not header:
            return
        try:
            server = parsedate_to_datetime(header).timestamp()
        except (TypeError, ValueError):
            return
        self.offset = server - time.time()
        self._local.last = server

    def last_seen(self) -> float | None:
        """Date of the last response this thread received (epoch seconds)."""
        return getattr(self._local, "last", None)

    def now(self) -> float:
        return time.time() + (self.offset or 0.0)


def retry_after_seconds(response: Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


class PacedAdapter(HTTPAdapter):
    def __init__(
        self,
        pacer: Any,
        clock: ServerClock,
        *,
        attempts: int = 5,
        rate_limit_attempts: int = 8,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        pool_size: int = 16,
    ) -> None:
        super().__init__(pool_connections=2, pool_maxsize=pool_size, max_retries=0)
        self.pacer = pacer
        self.clock = clock
        self.attempts = attempts
        self.rate_limit_attempts = rate_limit_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.requests = RequestCounter()
        self.issue_pauses = IssuePauses()

    def _backoff(self, attempt: int) -> float:
        return min(self.backoff_cap, self.backoff_base * 2.0 ** (attempt - 1)) * random.uniform(0.5, 1.0)

    def _sleep(self, seconds: float) -> None:
        if self.pacer.cancel.wait(seconds):
            raise Cancelled("shutting down during a Jira retry")

    def send(self, request: PreparedRequest, **kwargs: Any) -> Response:  # type: ignore[override]
        method = (request.method or "GET").upper()
        idempotent = method in IDEMPOTENT
        kind = request_kind(method, request.url or "")
        issue = issue_of(request.url or "") if method in ("POST", "PUT", "DELETE") else None
        failures = limited = 0
        while True:
            if issue is not None and (pause := self.issue_pauses.remaining(issue)) > 0:
                self._sleep(pause)
            self.pacer.acquire()
            self.requests.add(kind)
            try:
                response = super().send(request, **kwargs)
            except (ConnectionError, Timeout):
                failures += 1
                if idempotent and failures < self.attempts:
                    self._sleep(self._backoff(failures))
                    continue
                raise
            self.clock.observe(response)
            status = response.status_code
            retry_after = retry_after_seconds(response)
            if status == 429 or (status == 503 and retry_after is not None):
                limited += 1
                wait = retry_after if retry_after is not None else self._backoff(limited)
                if status == 429 and response.headers.get("RateLimit-Reason") == PER_ISSUE_REASON:
                    # One issue's write limit: pause writes to that issue only; the site runs on.
                    if issue is not None:
                        self.issue_pauses.pause(issue, wait)
                    else:
                        self._sleep(wait)
                else:
                    self.pacer.penalize(wait)
                if limited < self.rate_limit_attempts:
                    response.close()
                    continue
                return response
            if status in RETRYABLE_5XX and idempotent:
                failures += 1
                if failures < self.attempts:
                    response.close()
                    self._sleep(self._backoff(failures))
                    continue
            if response.headers.get("X-RateLimit-NearLimit", "").lower() == "true":
                self.pacer.warn()
            elif status < 400:
                self.pacer.reward()
            return response
