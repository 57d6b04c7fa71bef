"""What differs when a pair's projects are on two Jira sites: bodies converted between the
sites' formats (Cloud's ADF, Data Center's wiki markup), values through the mapping tables.

On one site every function here hands its input back unchanged (the formats agree and a
value without a table entry keeps its name), so single-site pairs behave as they always did.
"""

from __future__ import annotations

from typing import Any

from jirasync_cli.jira import markup
from jirasync_cli.jira.adf import Body
from jirasync_cli.jira.models import IssueData
from jirasync_cli.sync.mapping import Person, map_user, tables
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


def dev_assignee(rt: PairRuntime, issue: IssueData) -> tuple[dict[str, str] | None, str | None]:
    """The dev site's ``assignee`` for a user issue's assignee: by the users table, else by
    the same e-mail address; (None, why) when nobody matches (the issue is then created
    unassigned, never refused for it); (None, None) when the user issue has no assignee."""
    raw = issue.assignee
    if raw is None:
        return None, None
    person = Person(raw["id"], raw.get("name", ""), raw.get("email") or None, raw.get("key") or None)
    table = tables(rt.config.mappings)["users"]
    dev = rt.client("dev")
    entry = next((hit for k in (person.email, person.id, person.key) if k and (hit := table.lookup(k, "dev"))), None)
    wanted = entry or person.email
    people: list[Person] = []
    if wanted:
        found = dev.find_people(wanted)
        # One hit for an e-mail address is that person, even where the site hides addresses.
        people = [
            Person(
                p["id"],
                p["name"],
                p["email"] or (wanted if len(found) == 1 and "@" in wanted else None),
                p["key"] or None,
            )
            for p in found
        ]
    mapped = map_user(person, table, people, to="dev")
    if mapped.person is None:
        return None, mapped.reason
    return ({"accountId": mapped.person.id} if dev.is_cloud else {"name": mapped.person.id}), None
