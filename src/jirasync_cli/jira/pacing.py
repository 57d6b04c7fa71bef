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

# Rises: +PROBE_GAIN req/s per clean answer while probing (until Jira first signals its
# limit: under load the rate doubles in well under a second), then additively, by the start
# rate (maxRequestsPerSecond) per second of clean traffic that waited for the budget.
PROBE_GAIN = 2.0
# Cuts: a warning (NearLimit: under 20 % of Jira's budget left) trims the rate, a 429 halves
# it; both start from what was actually sent, so a rate that ran ahead of demand cannot
# keep the cut above Jira's limit. One cut per CALM_SECONDS: a warning repeats on every
# response until Jira's bucket refills, and each says the same thing.
NEAR_LIMIT_FACTOR = 0.85
LIMITED_FACTOR = 0.5
CALM_SECONDS = 1.0
DEFAULT_CEILING = 100.0  # req/s, when maxRequestsPerSecondCeiling is not set
GRANT_TTL_SECONDS = 1.0  # tokens borrowed from the supervisor and not used by then are dropped


class Cancelled(JirasyncError):
    """Shutdown was requested while waiting for Jira's budget."""


class AdaptiveRate:
    """AIMD of one site's request rate (no clock, no lock: the owner holds both)."""

    def __init__(self, start: float, ceiling: float | None = None) -> None:
        self.start = start
        self.ceiling = max(start, ceiling or DEFAULT_CEILING)
        self.floor = max(0.2, start / 16)
        self.rate = start
        self.probing = True
        self._calm_until = 0.0
        self.rise_per_second = max(1.0, start)
        self.near_limits = 0
        self.limited = 0
        self.held = False  # never above the start rate (a site that gives no early warning)

    def hold(self) -> None:
        self.held = True
        self.reconfigure(self.start, self.start)

    def reconfigure(self, start: float, ceiling: float | None) -> None:
        self.start, self.ceiling = start, max(start, ceiling or DEFAULT_CEILING)
        if self.held:
            self.ceiling = start
        self.floor = max(0.2, start / 16)
        self.rise_per_second = max(1.0, start)
        self.rate = min(max(self.rate, self.floor), self.ceiling)

    def clean(self, n: int, constrained: bool) -> None:
        """``n`` clean answers; rise only if requests waited for the budget (else the rate is
        not what limits us and raising it proves nothing)."""
        if not constrained or n <= 0 or self.rate >= self.ceiling:
            return
        step = PROBE_GAIN * n if self.probing else self.rise_per_second * n / self.rate
        self.rate = min(self.ceiling, self.rate + step)

    def near_limit(self, now: float, sent_rate: float | None) -> None:
        self.near_limits += 1
        self._cut(now, sent_rate, LIMITED_FACTOR if self.probing else NEAR_LIMIT_FACTOR)

    def rate_limited(self, now: float, sent_rate: float | None) -> None:
        self.limited += 1
        self._cut(now, sent_rate, LIMITED_FACTOR, force=True)

    def _cut(self, now: float, sent_rate: float | None, factor: float, force: bool = False) -> None:
        if now < self._calm_until and not force:
            return
        base = min(self.rate, sent_rate) if sent_rate else self.rate
        self.rate = max(self.floor, base * factor)
        self.probing = False
        self._calm_until = now + CALM_SECONDS


class SentRate:
    """Requests sent per second over the last ~second (two half-second buckets)."""

    def __init__(self) -> None:
        self._slot = 0
        self._counts = [0, 0]

    def add(self, now: float, n: int = 1) -> None:
        slot = int(now * 2)
        if slot != self._slot:
            self._counts = [self._counts[1] if slot == self._slot + 1 else 0, 0]
            self._slot = slot
        self._counts[1] += n

    def per_second(self, now: float) -> float:
        self.add(now, 0)
        return float(self._counts[0] + self._counts[1])


class TokenBucket:
    """Tokens at ``rate.rate`` per second up to a small burst, with a site-wide pause."""

    def __init__(self, rate: AdaptiveRate) -> None:
        self.rate = rate
        self.tokens = self.burst
        self.stamp = time.monotonic()
        self.paused_until = 0.0
        self.sent = SentRate()
        self.waited_at = float("-inf")  # last time a request had to wait for a token

    @property
    def burst(self) -> float:
        # Small: Jira's own bucket may hold far fewer tokens than its rate.
        return max(1.0, self.rate.rate / 5)

    def refill(self, now: float) -> None:
        # Nothing accrues during a pause: after Retry-After, requests resume at the rate, not in a burst.
        accrued = max(0.0, now - max(self.stamp, self.paused_until)) * self.rate.rate
        self.tokens = min(self.burst, self.tokens + accrued)
        self.stamp = now

    def take(self, now: float, n: float = 1.0) -> float:
        """Take up to ``n`` whole tokens now; returns how many (0 if none or paused)."""
        self.refill(now)
        if now < self.paused_until or self.tokens < 1:
            self.waited_at = now
            return 0
        got = float(min(int(self.tokens), int(n)))
        self.tokens -= got
        self.sent.add(now, int(got))
        return got

    def wait_for(self, now: float, n: float = 1.0) -> float:
        """Seconds until ``n`` tokens (at most a burst) will be there."""
        self.refill(now)
        need = min(n, self.burst) - self.tokens
        return max(self.paused_until - now, need / self.rate.rate if need > 0 else 0.0, 0.0)

    def constrained(self, now: float) -> bool:
        return now - self.waited_at < 2.0

    def pause(self, now: float, seconds: float) -> None:
        self.paused_until = max(self.paused_until, now + seconds)
        self.tokens = 0

    def near_limit(self, now: float) -> None:
        self.rate.near_limit(now, self.sent.per_second(now))

    def rate_limited(self, now: float, retry_after: float) -> None:
        self.rate.rate_limited(now, self.sent.per_second(now))
        self.pause(now, retry_after)


class SitePacer:
    """One site's budget in this process, for every thread (used when no supervisor lends tokens)."""

    def __init__(self, rate: float, ceiling: float | None = None, cancel: threading.Event | None = None) -> None:
        self.adaptive = AdaptiveRate(rate, ceiling)
        self.bucket = TokenBucket(self.adaptive)
        self._lock = threading.Lock()
        self.cancel = cancel or threading.Event()
        self.waited_seconds = 0.0

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
                self.waited_seconds += wait
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

    def __init__(self, send: Callable[[dict[str, Any]], None], cancel: threading.Event | None = None,
                 batch: int = 8) -> None:
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
        self.waited_seconds = 0.0

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
                    started = time.monotonic()
                    self._cond.wait(wait)
                    self.waited_seconds += time.monotonic() - started
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


class SiteBudget:
    """The supervisor's side: one site's bucket, lent in batches to the workers that ask, in turn.

    Single-threaded (the supervisor's loop): :meth:`ask` queues a worker, :meth:`grant_due`
    hands out what the bucket holds in first-come order (each turn at most one batch, so busy
    pairs alternate), and :meth:`next_grant` says when to call it again.
    """

    def __init__(self, start: float, ceiling: float | None) -> None:
        self.adaptive = AdaptiveRate(start, ceiling)
        self.bucket = TokenBucket(self.adaptive)
        self.queue: dict[Any, int] = {}  # worker -> tokens wanted, in arrival order
        self.granted = 0
        self.due: float | None = None  # when the owner's grant timer fires (the owner keeps it)

    def ask(self, who: Any, want: int, clean: int, now: float) -> None:
        self.adaptive.clean(clean, self.bucket.constrained(now))
        self.queue[who] = max(1, want)  # one asking again (its grant lost?) keeps its place

    def forget(self, who: Any) -> None:
        self.queue.pop(who, None)

    def signal(self, kind: str, retry_after: float | None, now: float) -> None:
        if kind == "limited":
            self.bucket.rate_limited(now, retry_after or 1.0)
        elif kind == "near":
            self.bucket.near_limit(now)
        elif kind == "hold":
            self.adaptive.hold()

    def grant_due(self, now: float) -> list[tuple[Any, int]]:
        grants = []
        while self.queue:
            who, want = next(iter(self.queue.items()))
            got = int(self.bucket.take(now, want))
            if not got:
                break
            del self.queue[who]
            grants.append((who, got))
            self.granted += got
        return grants

    def next_grant(self, now: float) -> float | None:
        """When the first waiting worker can get a batch (monotonic time), None if nobody waits."""
        if not self.queue:
            return None
        want = next(iter(self.queue.values()))
        # Small batches while tokens trickle in: wait for at most ~20 ms worth of them.
        wait = self.bucket.wait_for(now, max(1.0, min(want, self.adaptive.rate / 50)))
        if wait > 0:
            self.bucket.waited_at = now  # pairs wait for the budget: it is what limits them
        return now + wait


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


def pacer_for(site: str, rate: float, cancel: threading.Event | None = None,
              ceiling: float | None = None) -> Any:
    """The one pacer of ``site`` in this process (created with ``rate`` on first use)."""
    with _registry_lock:
        pacer = _registry.get(site)
        if pacer is None:
            pacer = (_factory(site, rate, ceiling, cancel) if _factory is not None
                     else SitePacer(rate, ceiling, cancel=cancel))
            _registry[site] = pacer
        return pacer
