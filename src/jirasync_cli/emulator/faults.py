"""Fault injection: latency, errors before applying, lost responses after applying, rate limits.

All knobs can be changed while the server runs. Random decisions come from one seeded RNG so
a chaos run is reproducible for a given request sequence.
"""

from __future__ import annotations

import math
import random
import re
import threading
import time
from dataclasses import dataclass
from typing import Any

NEAR_LIMIT_SHARE = 0.2  # Jira Cloud says X-RateLimit-NearLimit: true when under 20 % of the budget remains


@dataclass
class RateLimit:
    """Jira Cloud's limits as the emulator models them (per account):

    * a burst limit: ``per_second`` tokens, up to ``burst``; a 429 says
      ``RateLimit-Reason: jira-burst-based``; while under 20 % of the bucket remains, successful
      answers carry ``X-RateLimit-NearLimit: true`` (``near_limit``, Cloud mode only: Data
      Center does not send it);
    * optionally a per-issue write limit: ``issue_writes_per_second`` writes to one issue
      (burst ``issue_write_burst``); a 429 says ``RateLimit-Reason: jira-per-issue-on-write``.
    """

    per_second: float
    burst: int | None = None
    near_limit: bool = True
    issue_writes_per_second: float | None = None
    issue_write_burst: int | None = None

    def __post_init__(self) -> None:
        if self.per_second <= 0:
            raise ValueError("rate limit must be positive")
        if self.burst is None:
            self.burst = max(1, int(math.ceil(self.per_second)))
        if self.issue_writes_per_second is not None:
            if self.issue_writes_per_second <= 0:
                raise ValueError("per-issue write limit must be positive")
            if self.issue_write_burst is None:
                self.issue_write_burst = max(1, int(math.ceil(self.issue_writes_per_second)))

    @property
    def burst_size(self) -> int:
        """``burst``, as __post_init__ settled it."""
        assert self.burst is not None
        return self.burst

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"per_second": self.per_second, "burst": self.burst}
        if not self.near_limit:
            out["near_limit"] = False
        if self.issue_writes_per_second is not None:
            out.update(issue_writes_per_second=self.issue_writes_per_second, issue_write_burst=self.issue_write_burst)
        return out


@dataclass
class FailRule:
    method: str
    path: re.Pattern[str]
    status: int
    after_apply: bool
    remaining: int

    def matches(self, method: str, path: str) -> bool:
        return (self.method in ("*", method)) and bool(self.path.search(path))

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path_regex": self.path.pattern,
            "status": self.status,
            "after_apply": self.after_apply,
            "count": self.remaining,
        }


@dataclass
class Decision:
    """What happens to one request: pre-apply failure status, lost-response status, or neither."""

    before: int | None = None
    after: int | None = None


class _Bucket:
    __slots__ = ("tokens", "stamp")

    def __init__(self, tokens: float, stamp: float) -> None:
        self.tokens, self.stamp = tokens, stamp


class Faults:
    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self._rules: list[FailRule] = []
        self._buckets: dict[str, _Bucket] = {}
        self.latency_ms: float | tuple[float, float] | None = None
        self.error_rate: float = 0.0
        self.error_statuses: tuple[int, ...] = (500, 502, 503)
        self.lost_response_rate: float = 0.0
        self.lost_statuses: tuple[int, ...] = (502, 504)
        self.retry_after_seconds: int = 1  # sent with injected 503s
        self._rate_limit: RateLimit | None = None

    # ---------------------------------------------------------------- configuration
    @property
    def rate_limit(self) -> RateLimit | None:
        return self._rate_limit

    @rate_limit.setter
    def rate_limit(self, value: Any) -> None:
        """A RateLimit, (per_second, burst), a number (burst = ceil(rate)), a dict, or None."""
        if value is None or value == 0:
            rl = None
        elif isinstance(value, RateLimit):
            rl = value
        elif isinstance(value, dict):
            per_issue = value.get("issue_writes_per_second")
            rl = RateLimit(
                float(value["per_second"]),
                value.get("burst"),
                bool(value.get("near_limit", True)),
                float(per_issue) if per_issue is not None else None,
                value.get("issue_write_burst"),
            )
        elif isinstance(value, (tuple, list)):
            rl = RateLimit(float(value[0]), int(value[1]) if len(value) > 1 and value[1] is not None else None)
        else:
            rl = RateLimit(float(value))
        with self._lock:
            self._rate_limit = rl
            self._buckets.clear()

    def fail_next(
        self, method: str, path_regex: str, status: int = 500, after_apply: bool = False, count: int = 1
    ) -> None:
        """The next ``count`` REST requests matching method ("*" for any) and path regex fail with
        ``status``: before anything is applied, or (``after_apply``) after the write was applied."""
        with self._lock:
            self._rules.append(FailRule(method.upper(), re.compile(path_regex), int(status), after_apply, int(count)))

    def clear(self) -> None:
        with self._lock:
            self.latency_ms = None
            self.error_rate = 0.0
            self.lost_response_rate = 0.0
            self._rate_limit = None
            self._rules.clear()
            self._buckets.clear()

    def to_dict(self) -> dict[str, Any]:
        lat = self.latency_ms
        return {
            "latency_ms": list(lat) if isinstance(lat, tuple) else lat,
            "error_rate": self.error_rate,
            "lost_response_rate": self.lost_response_rate,
            "rate_limit": self._rate_limit.to_dict() if self._rate_limit else None,
            "fail_next": [r.to_dict() for r in self._rules],
        }

    def update(self, d: dict[str, Any]) -> None:
        if "latency_ms" in d:
            lat = d["latency_ms"]
            self.latency_ms = tuple(lat) if isinstance(lat, list) else lat
        if "error_rate" in d:
            self.error_rate = float(d["error_rate"] or 0)
        if "lost_response_rate" in d:
            self.lost_response_rate = float(d["lost_response_rate"] or 0)
        if "rate_limit" in d:
            self.rate_limit = d["rate_limit"]
        for rule in d.get("fail_next") or []:
            self.fail_next(
                rule.get("method", "*"),
                rule["path_regex"],
                rule.get("status", 500),
                rule.get("after_apply", False),
                rule.get("count", 1),
            )

    # ---------------------------------------------------------------- per request
    def delay_seconds(self) -> float:
        lat = self.latency_ms
        if not lat:
            return 0.0
        if isinstance(lat, tuple):
            with self._lock:
                return self._rng.uniform(lat[0], lat[1]) / 1000.0
        return float(lat) / 1000.0

    def take_token(self, who: str, issue: str | None = None) -> tuple[bool, dict[str, str]]:
        """Token buckets per account (and per issue, for writes to ``issue``).

        Returns (allowed, headers): a 429's headers, or ``X-RateLimit-NearLimit`` for an
        allowed request when under 20 % of the account's budget remains."""
        rl = self._rate_limit
        if rl is None:
            return True, {}
        now = time.monotonic()
        with self._lock:
            b = self._take(who, float(rl.burst_size), rl.per_second, now)
            if b.tokens < 1.0:
                return False, self._limited(
                    (1.0 - b.tokens) / rl.per_second, rl.burst, rl.per_second, "jira-burst-based"
                )
            if issue is not None and rl.issue_writes_per_second:
                ib = self._take(
                    f"{who}\x00issue:{issue}", float(rl.issue_write_burst or 1), rl.issue_writes_per_second, now
                )
                if ib.tokens < 1.0:  # refused: the account's token is not spent
                    return False, self._limited(
                        (1.0 - ib.tokens) / rl.issue_writes_per_second,
                        rl.issue_write_burst or 1,
                        rl.issue_writes_per_second,
                        "jira-per-issue-on-write",
                    )
                ib.tokens -= 1.0
            b.tokens -= 1.0
            near = rl.near_limit and b.tokens < NEAR_LIMIT_SHARE * float(rl.burst_size)
        return True, ({"X-RateLimit-NearLimit": "true"} if near else {})

    def _take(self, name: str, burst: float, rate: float, now: float) -> _Bucket:
        b = self._buckets.get(name)
        if b is None:
            b = self._buckets[name] = _Bucket(burst, now)
        b.tokens = min(burst, b.tokens + (now - b.stamp) * rate)
        b.stamp = now
        return b

    @staticmethod
    def _limited(wait: float, limit: int | None, rate: float, reason: str) -> dict[str, str]:
        reset = time.time() + wait
        return {
            "Retry-After": str(max(1, int(math.ceil(wait)))),
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(reset))
            + f".{int(reset * 1000) % 1000:03d}Z",
            "X-RateLimit-FillRate": str(rate),
            "X-RateLimit-Interval-Seconds": "1",
            "RateLimit-Reason": reason,
        }

    def decide(self, method: str, path: str, is_write: bool) -> Decision:
        with self._lock:
            for rule in self._rules:
                if rule.matches(method, path) and (not rule.after_apply or is_write):
                    rule.remaining -= 1
                    if rule.remaining <= 0:
                        self._rules.remove(rule)
                    return Decision(after=rule.status) if rule.after_apply else Decision(before=rule.status)
            if self.error_rate and self._rng.random() < self.error_rate:
                return Decision(before=self._rng.choice(self.error_statuses))
            if is_write and self.lost_response_rate and self._rng.random() < self.lost_response_rate:
                return Decision(after=self._rng.choice(self.lost_statuses))
        return Decision()
