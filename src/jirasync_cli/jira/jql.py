"""JQL for one sync cycle: both projects in one search, plus the incremental time filter.

JQL date literals have minute precision and are read in the *account's* time zone, so the
watermark (an aware UTC instant from Jira's clock) is converted into that zone and floored
to the minute; the cycle's overlap window and per-issue ``updated`` dedupe absorb the
rounding. Results are ordered by creation, not by ``updated``: an edit made while we page
then cannot shift unseen issues across a page boundary.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo


def quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def jql_datetime(instant: datetime, zone: ZoneInfo) -> str:
    """``instant`` as a JQL literal in ``zone``, floored to the minute, never later than it.

    When clocks fall back, an hour of wall-clock times happens twice and Jira may read such
    a literal as its later occurrence: a filter meant for the first one would then start an
    hour late and miss changes. So a wall time that could mean a later instant than
    ``instant`` is moved back to the last minute before the repeated hour.
    """
    if instant.tzinfo is None:
        raise ValueError("naive datetime: JQL times must come from an aware instant")
    wall = instant.astimezone(zone).replace(second=0, microsecond=0, tzinfo=None)
    while _latest_reading(wall, zone) > instant:
        wall -= timedelta(minutes=1)
    return wall.strftime("%Y/%m/%d %H:%M")


def _latest_reading(wall: datetime, zone: ZoneInfo) -> datetime:
    """The latest instant the naive wall time ``wall`` can mean in ``zone``."""
    # In UTC: aware datetimes of one zone compare by wall time, ignoring fold.
    return max(wall.replace(tzinfo=zone, fold=f).astimezone(UTC) for f in (0, 1))


def split_order(jql: str) -> tuple[str, str]:
    """(condition, ordering) of a query ending in ``ORDER BY ...`` (ordering "" if none)."""
    match = list(re.finditer(r"\s+ORDER\s+BY\s+", jql, flags=re.IGNORECASE))
    if not match:
        return jql, ""
    last = match[-1]
    return jql[: last.start()], jql[last.end() :]


def search_window(exc: Exception) -> int | None:
    """The result window a Data Center "Search limit exceeded" error names, if it is one."""
    found = re.search(r"search platform limit of ([\d,.]+)", str(getattr(exc, "jira_message", exc)))
    if not found:
        return None
    digits = re.sub(r"[^\d]", "", found.group(1))
    return int(digits) if digits else None


def sync_jql(
    user_project: str,
    dev_project: str,
    *,
    user_filter: str | None = None,
    dev_filter: str | None = None,
    since: datetime | None = None,
    zone: ZoneInfo | None = None,
) -> str:
    def side(project: str, extra: str | None) -> str:
        clause = f"project = {quote(project)}"
        return f"({clause} AND ({extra}))" if extra else clause

    jql = f"({side(user_project, user_filter)} OR {side(dev_project, dev_filter)})"
    if since is not None:
        jql += f" AND updated >= {quote(jql_datetime(since, zone or ZoneInfo('UTC')))}"
    return jql + " ORDER BY created ASC, key ASC"


def created_since_jql(project: str, since: datetime, zone: ZoneInfo) -> str:
    """Issues of ``project`` created from ``since`` on (crash recovery of an unlinked create)."""
    start = since - timedelta(minutes=1)
    return f"project = {quote(project)} AND created >= {quote(jql_datetime(start, zone))} ORDER BY created ASC"
