"""The emulator's clock and Jira's timestamp formats.

Internally every instant is an ``int`` of epoch milliseconds (UTC): cheap to compare and sort
over thousands of issues. Zones only matter when rendering, and when reading JQL literals.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import formatdate
from functools import lru_cache
from zoneinfo import ZoneInfo


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


class Clock:
    """Real time shifted by an adjustable offset, so tests can move "now" without sleeping."""

    def __init__(self, offset_seconds: float = 0.0) -> None:
        self._offset = float(offset_seconds)
        self._lock = threading.Lock()

    @property
    def offset_seconds(self) -> float:
        return self._offset

    @offset_seconds.setter
    def offset_seconds(self, value: float) -> None:
        with self._lock:
            self._offset = float(value)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += float(seconds)

    def epoch(self) -> float:
        return time.time() + self._offset

    def now_ms(self) -> int:
        return int(self.epoch() * 1000)

    def now(self, tz: str | None = None) -> datetime:
        dt = datetime.fromtimestamp(self.epoch(), UTC)
        return dt.astimezone(zone(tz)) if tz else dt

    def http_date(self) -> str:
        return formatdate(self.epoch(), usegmt=True)


def to_ms(dt: datetime) -> int:
    if dt.tzinfo is None:
        raise ValueError("naive datetime: pass an aware datetime")
    return int(round(dt.timestamp() * 1000))


def from_ms(ms: int, tz: str = "UTC") -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC).astimezone(zone(tz))


@lru_cache(maxsize=65536)
def jira_ts(ms: int, tz: str) -> str:
    """``2026-11-24T04:09:30.390+0100``: Jira's format, offset without a colon."""
    dt = datetime.fromtimestamp(ms // 1000, UTC).astimezone(zone(tz))
    return f"{dt:%Y-%m-%dT%H:%M:%S}.{ms % 1000:03d}{dt:%z}"


def iso_utc(ms: int) -> str:
    dt = datetime.fromtimestamp(ms / 1000, UTC)
    return f"{dt:%Y-%m-%dT%H:%M:%S}.{ms % 1000:03d}Z"


def parse_jira_ts(text: str) -> int:
    """Parse Jira's own format (also accepts ISO with a colon or ``Z``) to epoch ms."""
    t = text.strip().replace("Z", "+0000")
    if len(t) > 6 and t[-3] == ":" and t[-6] in "+-":
        t = t[:-3] + t[-2:]
    for fmt in ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z"):
        try:
            return to_ms(datetime.strptime(t, fmt))
        except ValueError:
            continue
    raise ValueError(f"not a Jira timestamp: {text!r}")


def local_to_ms(naive: datetime, tz: str) -> int:
    """A wall-clock time in ``tz`` (as JQL literals are read) to epoch ms.

    A time that happens twice when clocks fall back is read as its *later* occurrence
    (standard time, as java.util's calendar resolves it): the reading that makes a
    client's ``updated >=`` filter start late if it did not allow for it."""
    z = zone(tz)
    later = naive.replace(tzinfo=z, fold=1)
    in_gap = later.astimezone(UTC).astimezone(z).replace(tzinfo=None) != naive  # skipped when clocks spring forward
    return to_ms(naive.replace(tzinfo=z) if in_gap else later)


def start_of_day_ms(ms: int, tz: str, days: int = 0) -> int:
    local = from_ms(ms, tz).replace(hour=0, minute=0, second=0, microsecond=0)
    naive = local.replace(tzinfo=None) + timedelta(days=days)
    return local_to_ms(naive, tz)
