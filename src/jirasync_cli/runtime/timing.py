"""Timing policies shared by worker and supervisor (pure)."""

from __future__ import annotations

import random


def next_slot(start: float, interval: float, now: float) -> float:
    """The next point on the grid ``start + k*interval`` after ``now``: no drift, and a
    cycle that overran its interval skips the missed slots instead of running back to back."""
    if now < start:
        return start
    periods = int((now - start) // interval) + 1
    return start + periods * interval


def backoff(failures: int, *, base: float = 0.1, factor: float = 1.5, cap: float = 15.0, jitter: float = 0.2) -> float:
    """Capped exponential backoff with jitter: base, base*factor, ... up to cap."""
    if failures <= 0:
        return 0.0
    delay = min(cap, base * factor ** (failures - 1))
    return delay * random.uniform(1 - jitter, 1 + jitter) if jitter else delay


def heartbeat_period(interval: float) -> float:
    """How often a worker reports: often enough for hung detection, derived from its interval."""
    return max(1.0, min(15.0, interval / 2))


def heartbeat_timeout(interval: float) -> float:
    """Silence after which the supervisor deems a worker hung."""
    return 3 * heartbeat_period(interval) + 5.0
