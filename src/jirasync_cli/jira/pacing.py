"""Client-side pacing per Jira site: a token bucket that backs off when Jira says 429.

All pairs on one site share one budget (Jira counts per account/site): the supervisor gives
each worker its share of ``maxRequestsPerSecond``; within a process one :class:`SitePacer`
per base URL serves every thread. A 429/503 ``Retry-After`` pauses the whole site (every
thread), and the rate drops multiplicatively, then recovers additively on success (AIMD),
so a noisy neighbour on the same site does not make us hammer it.
"""

from __future__ import annotations

import threading
import time

from jirasync_cli.errors import JirasyncError


class Cancelled(JirasyncError):
    """Shutdown was requested while waiting for Jira's budget."""


class SitePacer:
    def __init__(self, rate: float, burst: float | None = None, cancel: threading.Event | None = None) -> None:
        self.base_rate = rate
        self.rate = rate
        # A small burst: Jira's own bucket may hold far fewer tokens than its rate.
        self.burst = burst if burst is not None else max(1.0, rate / 5)
        self._tokens = self.burst
        self._stamp = time.monotonic()
        self._paused_until = 0.0
        self._lock = threading.Lock()
        self.cancel = cancel or threading.Event()
        self.rate_limited = 0  # 429/503 answers seen, for heartbeats and benchmarks
        self.waited_seconds = 0.0

    def acquire(self) -> None:
        """Block until one request may go out (or raise :class:`Cancelled`)."""
        while True:
            with self._lock:
                now = time.monotonic()
                self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
                self._stamp = now
                wait = self._paused_until - now
                if wait <= 0:
                    if self._tokens >= 1:
                        self._tokens -= 1
                        return
                    wait = (1 - self._tokens) / self.rate
                self.waited_seconds += wait
            if self.cancel.wait(wait):
                raise Cancelled("shutting down while waiting for Jira's rate budget")

    def penalize(self, retry_after: float) -> None:
        """Jira rejected a request for rate: pause the site and halve the rate."""
        with self._lock:
            self.rate_limited += 1
            self._paused_until = max(self._paused_until, time.monotonic() + retry_after)
            self.rate = max(self.base_rate / 16, self.rate / 2)
            self._tokens = 0

    def reward(self) -> None:
        if self.rate < self.base_rate:
            with self._lock:
                self.rate = min(self.base_rate, self.rate + self.base_rate / 50)


_registry: dict[str, SitePacer] = {}
_registry_lock = threading.Lock()


def pacer_for(site: str, rate: float, cancel: threading.Event | None = None) -> SitePacer:
    """The one pacer of ``site`` in this process (created with ``rate`` on first use)."""
    with _registry_lock:
        pacer = _registry.get(site)
        if pacer is None:
            pacer = _registry[site] = SitePacer(rate, cancel=cancel)
        return pacer
