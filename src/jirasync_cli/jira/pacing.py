"""Client-side pacing per Jira site: an adaptive rate and a token bucket.

Jira counts requests per account and site, so all pairs on one site share one budget:

* alone (``run-worker``, ``once``, tests) a process paces each site with one
  :class:`SitePacer`, shared by every thread;
* under ``supervise`` the site's bucket lives in the supervisor (:class:`SiteBudget`) and
  workers borrow batches of tokens over their pipe (:class:`BorrowingPacer`): an idle pair
  costs the busy ones nothing, and busy pairs get turns in order.

Either way the rate adapts (:class:`AdaptiveRate`): it starts at ``maxRequestsPerSecond``,
rises while Jira answers cleanly and we actually wait for tokens, and drops
multiplicatively when Jira says ``X-RateLimit-NearLimit: true`` (before any 429) or answers
429 (then the whole site also pauses for ``Retry-After``). It never exceeds
``maxRequestsPerSecondCeiling``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from jirasync_cli.errors import JirasyncError
from jirasync_cli.runtime.rate_budget import (  # noqa: F401  (SiteBudget, DEFAULT_CEILING: re-exported)
    DEFAULT_CEILING,
    GRANT_TTL_SECONDS,
    AdaptiveRate,
    SiteBudget,
    TokenBucket,
)


class Cancelled(JirasyncError):
    """Shutdown was requested while waiting for Jira's budget."""


class SitePacer:
    """One site's budget in this process, for every thread (used when no supervisor lends tokens)."""

    def __init__(self, rate: float, ceiling: float | None = None, cancel: threading.Event | None = None) -> None:
        self.adaptive = AdaptiveRate(rate, ceiling)
        self.bucket = TokenBucket(self.adaptive)
        self._lock = threading.Lock()
        self.cancel = cancel or threading.Event()

    @property
    def rate(self) -> float:
        return self.adaptive.rate

    @property
    def rate_limited(self) -> int:
        """429 answers seen (for heartbeats, tests and benchmarks)."""
        return self.adaptive.limited

    def acquire(self) -> None:
        """Block until one request may go out (or raise :class:`Cancelled`)."""
        while True:
            with self._lock:
                now = time.monotonic()
                if self.bucket.take(now):
                    return
                wait = self.bucket.wait_for(now)
            if self.cancel.wait(wait):
                raise Cancelled("shutting down while waiting for Jira's rate budget")

    def penalize(self, retry_after: float) -> None:
        """Jira refused a request for the site's rate: pause the site, cut the rate."""
        with self._lock:
            self.bucket.rate_limited(time.monotonic(), retry_after)

    def warn(self) -> None:
        """Jira said the budget is nearly spent (``X-RateLimit-NearLimit``)."""
        with self._lock:
            self.bucket.near_limit(time.monotonic())

    def reward(self) -> None:
        with self._lock:
            self.adaptive.clean(1, self.bucket.constrained(time.monotonic()))

    def hold(self) -> None:
        """Stay at the start rate (the site sends no ``X-RateLimit-NearLimit``)."""
        with self._lock:
            self.adaptive.hold()


class BorrowingPacer:
    """A worker's pacer under a supervisor: tokens come in batches from the site's budget there.

    ``send`` writes one IPC message to the supervisor. A thread that finds no token asks for a
    batch (one request outstanding at a time) and waits for :meth:`granted`. Clean answers are
    reported with the next request; warnings and 429s at once, so the site slows down for
    every pair. Tokens expire after :data:`GRANT_TTL_SECONDS`: an idle worker never hoards.
    """

    def __init__(
        self, send: Callable[[dict[str, Any]], None], cancel: threading.Event | None = None, batch: int = 8
    ) -> None:
        self._send = send
        self.cancel = cancel or threading.Event()
        self._cond = threading.Condition()
        self._tokens = 0
        self._expires = 0.0
        self._asked = False
        self._asked_at = 0.0
        self._waiting = 0
        self._clean = 0
        self._paused_until = 0.0
        self.batch = batch
        self.rate_limited = 0

    def acquire(self) -> None:
        with self._cond:
            self._waiting += 1
            try:
                while True:
                    now = time.monotonic()
                    if now >= self._expires:
                        self._tokens = 0
                    if self._tokens > 0 and now >= self._paused_until:
                        self._tokens -= 1
                        return
                    if not self._asked or now - self._asked_at > 5.0:  # a lost grant is asked again
                        self._ask(now)
                    wait = max(0.01, self._paused_until - now) if now < self._paused_until else 0.5
                    self._cond.wait(wait)
                    if self.cancel.is_set():
                        raise Cancelled("shutting down while waiting for Jira's rate budget")
            finally:
                self._waiting -= 1

    def _ask(self, now: float) -> None:
        self._asked, self._asked_at = True, now
        clean, self._clean = self._clean, 0
        self._send({"type": "tokens", "want": max(1, min(self.batch, self._waiting)), "clean": clean})

    def granted(self, n: int) -> None:
        """The supervisor lent ``n`` tokens (called by the channel's reader thread)."""
        with self._cond:
            self._asked = False
            self._tokens, self._expires = n, time.monotonic() + GRANT_TTL_SECONDS
            self._cond.notify_all()

    def wake(self) -> None:
        """Let waiters notice cancellation."""
        with self._cond:
            self._cond.notify_all()

    def penalize(self, retry_after: float) -> None:
        with self._cond:
            self.rate_limited += 1
            self._paused_until = max(self._paused_until, time.monotonic() + retry_after)
            self._tokens = 0
        self._send({"type": "rate", "signal": "limited", "retry_after": retry_after})

    def warn(self) -> None:
        self._send({"type": "rate", "signal": "near"})

    def hold(self) -> None:
        self._send({"type": "rate", "signal": "hold"})

    def reward(self) -> None:
        with self._cond:
            self._clean += 1


_registry: dict[str, Any] = {}
_registry_lock = threading.Lock()
_factory: Callable[[str, float, float | None, threading.Event | None], Any] | None = None


def lend_from(factory: Callable[[str, float, float | None, threading.Event | None], Any] | None) -> None:
    """Make :func:`pacer_for` build pacers with ``factory`` (a supervised worker borrows its
    tokens from the supervisor); None restores the local :class:`SitePacer`."""
    global _factory
    with _registry_lock:
        _factory = factory
        _registry.clear()


def pacer_for(site: str, rate: float, cancel: threading.Event | None = None, ceiling: float | None = None) -> Any:
    """The one pacer of ``site`` in this process (created with ``rate`` on first use)."""
    with _registry_lock:
        pacer = _registry.get(site)
        if pacer is None:
            pacer = (
                _factory(site, rate, ceiling, cancel)
                if _factory is not None
                else SitePacer(rate, ceiling, cancel=cancel)
            )
            _registry[site] = pacer
        return pacer
