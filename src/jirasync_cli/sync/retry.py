"""Issues to fetch again next cycle, whatever their ``updated`` (pure).

A unit that failed or was deferred keeps both its keys in the state's ``retry_keys``
(``{key: {"attempts": n, "reason": text}}``): they are searched by key next cycle, so
one broken issue neither blocks the watermark nor gets lost.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

REASON_LIMIT = 300  # characters of a failure's reason kept in the state


@dataclass(frozen=True)
class Failure:
    """A unit that did not finish this cycle."""

    user_key: str
    dev_key: str | None
    reason: str


def due(retry: dict[str, Any], limit: int) -> list[str]:
    """The keys to fetch again this cycle: at most ``limit`` (the rest wait their turn)."""
    return sorted(retry)[:limit]


def attempts(retry: dict[str, Any], failure: Failure) -> int:
    """How many cycles in a row this unit has failed, this one included."""
    return int((retry.get(failure.user_key) or {}).get("attempts", 0)) + 1


def repeated(retry: dict[str, Any], failure: Failure) -> bool:
    """Whether the unit failed last cycle for the same reason (said once, not every cycle)."""
    return bool((retry.get(failure.user_key) or {}).get("reason") == failure.reason[:REASON_LIMIT])


def entries(retry: dict[str, Any], failures: Iterable[Failure]) -> dict[str, Any]:
    """Retry entries for ``failures``: both keys of each unit, its attempts counted on from ``retry``."""
    out: dict[str, Any] = {}
    for failure in failures:
        count = attempts(retry, failure)
        for key in (failure.user_key, failure.dev_key):
            if key:
                out[key] = {"attempts": count, "reason": failure.reason[:REASON_LIMIT]}
    return out


def next_retry(
    retry: dict[str, Any], failures: Iterable[Failure], *, seen: set[str], dropped: set[str]
) -> dict[str, Any]:
    """The retry keys to store after a cycle.

    The keys of this cycle's failures; and earlier keys the cycle did not fetch (beyond its
    share, or refused without being named), which wait for the next one. Only keys Jira
    named as gone (``dropped``) and keys fetched without failing are forgotten.
    """
    out = entries(retry, failures)
    for key, entry in retry.items():
        if key not in seen and key not in out and key not in dropped:
            out[key] = entry
    return out
