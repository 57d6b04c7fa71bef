"""The JQL subset: parser structure, Jira-worded errors, time zones, and a fuzz test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jirasync_cli.emulator import (
    Account,
    JiraEmulator,
    JqlError,
    Workflow,
    default_accounts,
)
from jirasync_cli.emulator.jql import BoolOp, Clause, Func, Value, parse
from jirasync_cli.emulator.jql_eval import Env, compile_query
from jirasync_cli.emulator.search import matching

from .helpers import Raw


def _emulator(tz: str = "Europe/Berlin", bot_tz: str | None = None, mode: str = "cloud") -> JiraEmulator:
    accounts = default_accounts()
    if bot_tz:
        accounts[0].time_zone = bot_tz
    emu = JiraEmulator(mode=mode, timezone=tz, accounts=accounts)
    emu.add_project("USER", name="Customer Support", workflow=Workflow.user_default())
    emu.add_project("DEV", name="Engineering", workflow=Workflow.dev_default())
    return emu


def _keys(emu: JiraEmulator, jql: str, account: str = "jirasync-bot") -> list[str]:
    acc = emu.accounts.get(account)
    env = Env(emu.state, emu.accounts, acc, acc.time_zone or emu.timezone, emu.clock.now_ms(), emu.mode == "cloud")
    return [i.key for _, i in matching(env, compile_query(jql, env))]


def test_parse_precedence_and_structure():
    q = parse('project = USER AND status != "In Progress" OR NOT labels in (a, "b c") ORDER BY updated, key DESC')
    assert isinstance(q.where, BoolOp) and q.where.op == "or"
    left, right = q.where.args
    assert left.op == "and" and isinstance(left.args[0], Clause) and left.args[1].op == "!="
    assert right.op == "not" and right.args[0].op == "in"
    assert [v.text for v in right.args[0].operand] == ["a", "b c"]
    assert [(s.field, s.desc) for s in q.order] == [("updated", False), ("key", True)]
    q = parse("(project=USER||project=DEV)&&!(labels is EMPTY) order by CREATED asc")
    assert q.where.op == "and" and q.where.args[0].op == "or" and q.where.args[1].op == "not"
    c = parse("assignee = currentUser()").where
    assert isinstance(c.operand, Func) and c.operand.name == "currentUser"
    c = parse(r'summary ~ "say \"hi\"\u0021"').where
    assert isinstance(c.operand, Value) and c.operand.text == 'say "hi"!'
    assert parse("").where is None and parse("ORDER BY key").where is None


@pytest.mark.parametrize(
    "jql, message",
    [
        ("project = ", "Error in the JQL Query: Expecting either a value, list or function but got end of query."),
        ("project USER", "Error in the JQL Query: Expecting operator but got 'USER'."),
        ("project = USER status = Open", "Error in the JQL Query: Expecting either 'OR' or 'AND' but got 'status'."),
        ("(project = USER", "Error in the JQL Query: Expecting ')' but got end of query."),
        ('summary ~ "open', "Error in the JQL Query: Missing closing quote"),
        ("labels = 100%", "Error in the JQL Query: The character '%' is a reserved JQL character."),
        ("project = USER ORDER key", "Error in the JQL Query: Expecting 'by' but got 'key'."),
        ("foo = bar", "Field 'foo' does not exist or you do not have permission to view it."),
        ("project = NOPE", "The value 'NOPE' does not exist for the field 'project'."),
        ("status = Flying", "The value 'Flying' does not exist for the field 'status'."),
        ("key = USER-99", "An issue with key 'USER-99' does not exist for field 'key'."),
        ("key = nonsense", "The issue key 'nonsense' for field 'key' is invalid."),
        ("status ~ Open", "The operator '~' is not supported by the 'status' field."),
        ('updated >= "yesterday"', "Date value 'yesterday' for field 'updated' is invalid."),
        ("updated >= lastWeek()", "Unable to find JQL function 'lastWeek()'."),
        ("project = USER ORDER BY labels", "Field 'labels' does not support sorting."),
        ("status WAS Open", "The operator 'WAS' is not supported"),
    ],
)
def test_errors_are_worded_like_jira(jql, message):
    emu = _emulator()
    with pytest.raises(JqlError) as err:
        _keys(emu, jql)
    assert err.value.message.startswith(message), err.value.message


def test_parser_errors_are_http_400(emu):
    r = Raw(emu).get("search/jql" if emu.mode == "cloud" else "search", params={"jql": "project = USER AND"})
    assert r.status_code == 400
    body = r.json()
    assert body["errors"] == {} and body["errorMessages"][0].startswith("Error in the JQL Query: ")


def test_semantics_of_common_clauses():
    emu = _emulator()
    a = emu.create_issue("USER", summary="Login broken", labels=["auth"], priority="High")
    b = emu.create_issue("USER", summary="Export slow", labels=["perf", "export"], status="Resolved")
    c = emu.create_issue("USER", summary="No labels here", assignee="dan")
    d = emu.create_issue("DEV", summary="Fix login cache", issuetype="Bug", status="In Review")
    assert _keys(emu, "project = user ORDER BY key ASC") == [a, b, c]  # values and keywords case-insensitive
    assert _keys(emu, "labels != auth ORDER BY key") == [b]  # != never matches an empty field
    assert _keys(emu, "labels not in (perf) order by key") == [a]
    assert _keys(emu, "labels is EMPTY") == [d, c]  # default order: created DESC
    assert _keys(emu, 'status in ("Resolved", "In Review") ORDER BY key') == [d, b]
    assert _keys(emu, "statusCategory = Done") == [b]
    assert _keys(emu, "resolution = Unresolved AND project = USER ORDER BY key") == [a, c]
    assert _keys(emu, "resolution is not EMPTY") == [b]
    assert _keys(emu, "issuetype = Bug") == [d]
    assert _keys(emu, "summary ~ login ORDER BY key") == [d, a]
    assert _keys(emu, f"key in ({a}, {c}) ORDER BY priority DESC") == [a, c]
    dan = emu.accounts.get("dan")
    assert _keys(emu, f'assignee = "{dan.account_id}"') == [c]  # Cloud: accountId (or email), not names
    assert _keys(emu, "assignee = 'dan@example.com'") == [c]
    with pytest.raises(JqlError):
        _keys(emu, "assignee = dan")
    assert _keys(emu, "assignee is EMPTY AND project = DEV") == [d]
    assert _keys(emu, "assignee = currentUser()", account="dan") == [c]
    server = _emulator(mode="server")
    s_key = server.create_issue("USER", summary="s", assignee="dan")
    assert _keys(server, "assignee = dan") == [s_key] and _keys(server, f"assignee = {dan.key}") == [s_key]
    assert _keys(emu, "NOT project = USER") == [d]
    assert _keys(emu, "project = DEV OR (project = USER AND labels = export)") == [d, b]


def test_date_literals_in_a_half_hour_zone_at_minute_precision():
    # Server in Berlin, but the searching account lives in Kolkata (UTC+05:30): its zone rules.
    emu = _emulator(tz="Europe/Berlin", bot_tz="Asia/Kolkata")
    base = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)  # = 15:00 in Kolkata
    before = emu.create_issue("USER", summary="before", at=base - timedelta(milliseconds=1))
    exact = emu.create_issue("USER", summary="exact", at=base)
    mid = emu.create_issue("USER", summary="mid", at=base + timedelta(seconds=30))
    after = emu.create_issue("USER", summary="after", at=base + timedelta(minutes=1))
    q = 'project = USER AND updated {} "{}" ORDER BY updated ASC'
    assert _keys(emu, q.format(">=", "2026/03/02 15:00")) == [exact, mid, after]
    assert _keys(emu, q.format(">", "2026/03/02 15:00")) == [mid, after]
    assert _keys(emu, q.format("<", "2026-03-02 15:01")) == [before, exact, mid]
    assert _keys(emu, q.format("<=", "2026/03/02 15:01")) == [before, exact, mid, after]
    assert _keys(emu, q.format("=", "2026/03/02 15:00")) == [exact]
    assert _keys(emu, q.format(">=", "2026/03/02")) == [before, exact, mid, after]  # midnight, Kolkata
    assert _keys(emu, q.format(">=", "2026-03-03")) == []
    # read in Berlin (the server zone) the same literal would select nothing of these
    assert _keys(emu, q.format(">=", "2026/03/02 15:00"), account="alice") == []


def test_date_literals_across_a_dst_change():
    emu = _emulator(tz="America/New_York")
    i1 = emu.create_issue("DEV", summary="EST", at=datetime(2026, 3, 8, 6, 45, tzinfo=UTC))  # 01:45 EST
    i2 = emu.create_issue("DEV", summary="EDT", at=datetime(2026, 3, 8, 7, 15, tzinfo=UTC))  # 03:15 EDT
    q = 'project = DEV AND created >= "{}" AND created < "{}" ORDER BY created'
    assert _keys(emu, q.format("2026/03/08 01:30", "2026/03/08 02:00")) == [i1]
    assert _keys(emu, q.format("2026/03/08 03:00", "2026/03/08 03:30")) == [i2]


def test_relative_dates_follow_the_emulator_clock():
    emu = _emulator()
    old = emu.create_issue("USER", summary="old", at=emu.now() - timedelta(hours=3))
    new = emu.create_issue("USER", summary="new", at=emu.now() - timedelta(minutes=2))
    assert _keys(emu, "project = USER AND updated >= -5m") == [new]
    assert _keys(emu, 'project = USER AND updated >= "-4h" ORDER BY key') == [old, new]
    assert _keys(emu, "project = USER AND updated < -1h") == [old]
    emu.advance(3600)
    assert _keys(emu, "project = USER AND updated >= -5m") == []
    assert _keys(emu, "project = USER AND updated <= now()") == [new, old]
    assert _keys(emu, "project = USER AND created >= startOfDay(-1d)")  # does not raise


def test_jql_over_http_uses_the_account_zone(emu):
    emu.accounts.get("jirasync-bot").time_zone = "America/New_York"
    key = emu.create_issue("USER", summary="x", at=datetime(2026, 1, 10, 17, 5, 20, tzinfo=UTC))  # 12:05 EST
    path = "search/jql" if emu.mode == "cloud" else "search"
    raw = Raw(emu)
    hit = raw.get(path, params={"jql": 'project = USER AND updated >= "2026/01/10 12:05"', "fields": "updated"})
    miss = raw.get(path, params={"jql": 'project = USER AND updated >= "2026/01/10 12:06"', "fields": "updated"})
    assert [i["key"] for i in hit.json()["issues"]] == [key] and miss.json()["issues"] == []
    assert hit.json()["issues"][0]["fields"]["updated"] == "2026-01-10T12:05:20.000-0500"  # rendered in that zone


# ---------------------------------------------------------------- fuzz

FRAGMENTS = [
    "project",
    "key",
    "status",
    "labels",
    "issuetype",
    "updated",
    "created",
    "priority",
    "summary",
    "resolution",
    "assignee",
    "foo",
    "=",
    "!=",
    ">=",
    "<",
    "~",
    "!~",
    "in",
    "not",
    "is",
    "empty",
    "null",
    "and",
    "or",
    "AND",
    "OR",
    "NOT",
    "(",
    ")",
    ",",
    "order",
    "by",
    "asc",
    "desc",
    "USER",
    "DEV",
    "USER-1",
    '"2026/03/02 10:00"',
    '"2026-03-02"',
    "-5m",
    "-2d",
    '"Open"',
    '"In Progress"',
    "currentUser()",
    "now()",
    "startOfDay(-1d)",
    "x",
    "'a b'",
    '"unterminated',
    "\\",
    "%",
    "!",
    "&&",
    "||",
    "10000",
    "*",
]


@lru_cache(maxsize=1)
def _fuzz_env() -> tuple[JiraEmulator, Env]:
    emu = _emulator()
    emu.create_issue("USER", summary="Open issue", labels=["a"])
    emu.create_issue("DEV", summary="Dev issue", status="Done")
    acc = emu.accounts.get("jirasync-bot")
    return emu, Env(emu.state, emu.accounts, acc, emu.timezone, emu.clock.now_ms(), True)


def _check(jql: str) -> None:
    emu, env = _fuzz_env()
    try:
        compiled = compile_query(jql, env)
    except JqlError as err:
        assert isinstance(err.message, str) and err.message
        return
    matching(env, compiled)  # evaluating and sorting a valid query never fails


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=12).map(" ".join))
def test_fuzz_token_soup_parses_or_raises_jql_error(jql):
    _check(jql)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_fuzz_arbitrary_text_parses_or_raises_jql_error(jql):
    _check(jql)


def test_accounts_type_is_public():
    acc = Account("zoe", "Zoe", "zoe@example.com", "zoe-token", time_zone="UTC")
    assert acc.account_id.startswith("557058:")
