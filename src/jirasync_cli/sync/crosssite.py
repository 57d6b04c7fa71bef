"""What differs when a pair's projects are on two Jira sites: bodies converted between the
sites' formats (Cloud's ADF, Data Center's wiki markup), values through the mapping tables.

On one site every function here hands its input back unchanged (the formats agree and a
value without a table entry keeps its name), so single-site pairs behave as they always did.
"""

from __future__ import annotations

from typing import Any

from jirasync_cli.jira import markup
from jirasync_cli.jira.adf import Body
from jirasync_cli.sync.mapping import tables
from jirasync_cli.sync.runtime import PairRuntime


def body_for(rt: PairRuntime, body: Body | None, *, source_key: str, target_key: str) -> Body | None:
    """``body`` (as the site of ``source_key`` wrote it) as the site of ``target_key`` reads it.
    Mentions become names there (the people behind them may not exist on the other site)."""
    source, target = rt.jira.for_key(source_key), rt.jira.for_key(target_key)
    if source is target or body is None:
        return body
    return markup.convert(body, to_adf=target.adf, display_name=source.display_name)


def dev_values(rt: PairRuntime, fields: dict[str, Any], *, user_key: str, dev_key_or_project: str) -> dict[str, Any]:
    """A user issue's copied fields as the dev site takes them: the description in its body
    format, the priority through the priorities table."""
    out = dict(fields)
    target_key = dev_key_or_project if "-" in dev_key_or_project else f"{dev_key_or_project}-0"
    if "description" in out and out["description"] not in (None, ""):
        out["description"] = body_for(rt, out["description"], source_key=user_key, target_key=target_key)
    if out.get("priority"):
        mapped = tables(rt.config.mappings)["priorities"].lookup(str(out["priority"]), to="dev")
        if mapped:
            out["priority"] = mapped
    return out
