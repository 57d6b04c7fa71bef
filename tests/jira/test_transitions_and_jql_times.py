"""Pure rules of the client: what a transition screen needs from us, and JQL times at DST changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from jirasync_cli.jira.jql import jql_datetime, search_window, split_order
from jirasync_cli.jira.transitions import transition_plan


def option(**fields) -> dict:
    return {"id": "31", "name": "Done", "to": {"name": "Done"}, "fields": fields}


def resolution(*names: str, required: bool = True) -> dict:
    return {
        "required": required,
        "name": "Resolution",
        "key": "resolution",
        "operations": ["set"],
        "schema": {"type": "resolution", "system": "resolution"},
        "allowedValues": [{"id": str(i), "name": n} for i, n in enumerate(names)],
    }


@pytest.mark.parametrize(
    ("offered", "chosen"),
    [
        (("Won't Do", "Done"), "Done"),
        (("Won't Fix", "Fixed", "Done"), "Done"),
        (("Won't Fix", "Fixed"), "Fixed"),
        (("Duplicate", "Invalid"), "Duplicate"),
    ],
)
def test_required_resolution_defaults(offered, chosen):
    plan = transition_plan(option(resolution=resolution(*offered)), key="A-1", target="Done", resolution=None)
    assert plan.fields == {"resolution": {"name": chosen}} and plan.blocked is None


def test_rule_resolution_wins_and_is_matched_without_case():
    plan = transition_plan(
        option(resolution=resolution("Done", "Won't Do", required=False)),
        key="A-1",
        target="Done",
        resolution="won't do",
    )
    assert plan.fields == {"resolution": {"name": "Won't Do"}}


def test_no_screen_sends_nothing_even_with_a_rule_resolution():
    plan = transition_plan(option(), key="A-1", target="Done", resolution="Fixed")
    assert plan.fields == {} and plan.blocked is None


def test_resolution_not_offered_is_blocked_with_the_setting_to_fix():
    plan = transition_plan(
        option(resolution=resolution("Done")),
        key="A-1",
        target="Done",
        resolution="Fixed",
        rule="rules[2].resolution (rule 'done')",
    )
    assert plan.blocked == (
        "transition to 'Done' on A-1 cannot set resolution 'Fixed': the screen offers Done; "
        "set rules[2].resolution (rule 'done') to one of them"
    )


def test_required_custom_field_blocks_unless_it_has_a_default():
    root = {
        "required": True,
        "name": "Root cause",
        "key": "customfield_1",
        "operations": ["set"],
        "schema": {"type": "string"},
    }
    blocked = transition_plan(option(customfield_1=root), key="A-1", target="Done", resolution=None)
    assert blocked.blocked and "requires field Root cause (customfield_1)" in blocked.blocked
    defaulted = transition_plan(
        option(customfield_1={**root, "hasDefaultValue": True, "defaultValue": "n/a"}),
        key="A-1",
        target="Done",
        resolution=None,
    )
    assert defaulted.fields == {"customfield_1": "n/a"} and defaulted.blocked is None


NY = ZoneInfo("America/New_York")


def test_jql_time_never_later_than_the_instant_at_a_fall_back():
    night = datetime(2026, 11, 1, 4, 0, tzinfo=UTC)  # 00:00 EDT; clocks fall back at 06:00Z
    for minutes in range(0, 240, 7):
        instant = night + timedelta(minutes=minutes, seconds=31)
        literal = datetime.strptime(jql_datetime(instant, NY), "%Y/%m/%d %H:%M")
        latest = max(literal.replace(tzinfo=NY, fold=f).astimezone(UTC) for f in (0, 1))
        assert latest <= instant, (instant, literal)
        assert instant - latest < timedelta(minutes=61), "at most the repeated hour earlier"
    assert jql_datetime(datetime(2026, 11, 1, 5, 30, tzinfo=UTC), NY) == "2026/11/01 00:59"  # 01:30 EDT
    assert jql_datetime(datetime(2026, 11, 1, 6, 30, tzinfo=UTC), NY) == "2026/11/01 01:30"  # 01:30 EST
    assert jql_datetime(datetime(2026, 3, 8, 7, 30, tzinfo=UTC), NY) == "2026/03/08 03:30"  # spring forward


def test_split_order_and_search_window():
    assert split_order('project = "A" ORDER BY created ASC, key ASC') == ('project = "A"', "created ASC, key ASC")
    assert split_order("project = A") == ("project = A", "")
    assert search_window(Exception("Search limit exceeded. ... the search platform limit of 10,000. Try")) == 10000
    assert search_window(Exception("something else")) is None
