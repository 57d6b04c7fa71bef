"""JQL for one sync cycle: both projects in one search, plus the incremental time filter.

JQL date literals have minute precision and are read in the *account's* time zone, so the
watermark (an aware UTC instant from Jira's clock) is converted into that zone and floored
to the minute; the cycle's overlap window and per-issue ``updated`` dedupe absorb the
rounding. Results are ordered by creation, not by ``updated``: an edit made while we page
then cannot shift unseen issues across a page boundary.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo


def quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def jql_datetime(instant: datetime, zone: ZoneInfo) -> str:
    """``instant`` as a JQL literal in ``zone``, floored to the minute."""
    if instant.tzinfo is None:
        raise ValueError("naive datetime: JQL times must come from an aware instant")
    return instant.astimezone(zone).strftime("%Y/%m/%d %H:%M")


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
