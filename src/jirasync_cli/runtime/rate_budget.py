"""One Jira site's request budget, pure: an adaptive rate, a token bucket, and the lending
of tokens to the workers that ask (no threads, no clock of its own, no I/O).

The supervisor keeps one :class:`SiteBudget` per site (it must stay lean: this module
imports nothing heavy); :mod:`jirasync_cli.jira.pacing` builds the in-process pacers on the
same :class:`AdaptiveRate` and :class:`TokenBucket`.
"""

from __future__ import annotations

import time
from typing import Any

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
