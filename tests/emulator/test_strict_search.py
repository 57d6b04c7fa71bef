"""Where real Jira says no or differs between Cloud and Data Center: transition screens,
search properties, result window, index lag, URL length, comment properties."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from jirasync_cli.emulator import EmulatorError

from .helpers import Raw, body_for
from .openapi import SPEC, errors


def _tid(raw: Raw, key: str, to: str, **params) -> dict:
    page = raw.get(f"issue/{key}/transitions", params=params).json()
    return next(t for t in page["transitions"] if t["to"]["name"] == to)


def test_transition_screen_fields_in_jiras_shape(emu, raw):
    key = emu.create_issue("DEV", summary="Crash")
    emu.transition(key, "In Progress")
    done = _tid(raw, key, "Done", expand="transitions.fields")
    resolution = done["fields"]["resolution"]
    assert resolution["required"] is True and resolution["operations"] == ["set"]
    assert resolution["schema"] == {"type": "resolution", "system": "resolution"}
    names = [v["name"] for v in resolution["allowedValues"]]
    assert "Done" in names and ("Won't Do" if emu.mode == "cloud" else "Won't Fix") in names
    assert _tid(raw, key, "In Review", expand="transitions.fields")["fields"] == {}
    assert "fields" not in _tid(raw, key, "Done")  # only with the expand
    if emu.mode == "cloud":
        assert done["hasScreen"] is True and _tid(raw, key, "In Review")["hasScreen"] is False
    if SPEC.exists():
        assert not errors(done, "IssueTransition")


def test_transition_requires_its_screen_fields_and_nothing_else(emu, raw):
    key = emu.create_issue("DEV", summary="Crash")
    emu.transition(key, "In Progress")
    done = _tid(raw, key, "Done")["id"]
    r = raw.post(f"issue/{key}/transitions", {"transition": {"id": done}})
    assert r.status_code == 400
    assert r.json() == {"errorMessages": [], "errors": {"resolution": "Field Resolution is required."}}
    review = _tid(raw, key, "In Review")["id"]
    r = raw.post(f"issue/{key}/transitions", {"transition": {"id": review}, "fields": {"resolution": {"name": "Done"}}})
    assert r.status_code == 400
    assert r.json()["errors"] == {
        "resolution": "Field 'resolution' cannot be set. It is not on the appropriate screen, or unknown."
    }
    assert emu.issue(key)["status"] == "In Progress"
    r = raw.post(
        f"issue/{key}/transitions", {"transition": {"id": done}, "fields": {"resolution": {"name": "Duplicate"}}}
    )
    assert r.status_code == 204 and emu.issue(key)["resolution"] == "Duplicate"


def test_transition_screens_can_be_relaxed(emu, raw):
    emu.configure(strict_transition_screens=False)
    key = emu.create_issue("DEV", summary="Crash")
    emu.transition(key, "In Progress")
    r = raw.post(f"issue/{key}/transitions", {"transition": {"id": _tid(raw, key, "Done")["id"]}})
    assert r.status_code == 204 and emu.issue(key)["resolution"] == "Done"


def test_people_in_the_ui_still_resolve_without_a_rest_payload(emu):
    key = emu.create_issue("DEV", summary="Crash", status="Done")  # the Python API acts as the UI
    assert emu.issue(key)["status"] == "Done" and emu.issue(key)["resolution"] == "Done"


def test_data_center_search_ignores_properties_unless_told(server):
    key = server.create_issue("DEV", summary="ours")
    server.set_property(key, "jirasync.source", {"userKey": "USER-1"})
    raw = Raw(server)
    params = {"jql": "project = DEV", "fields": "summary", "properties": "jirasync.source"}
    assert "properties" not in raw.get("search", params=params).json()["issues"][0]
    assert raw.get(f"issue/{key}", params={"properties": "jirasync.source"}).json()["properties"] == {
        "jirasync.source": {"userKey": "USER-1"}
    }
    server.configure(search_properties=True)
    found = raw.get("search", params=params).json()["issues"][0]
    assert found["properties"] == {"jirasync.source": {"userKey": "USER-1"}}


def test_data_center_result_window(server):
    for i in range(12):
        server.create_issue("DEV", summary=f"i{i}")
    server.configure(max_result_window=10)
    raw = Raw(server)
    assert len(raw.get("search", params={"jql": "project = DEV", "maxResults": 10}).json()["issues"]) == 10
    r = raw.get("search", params={"jql": "project = DEV", "startAt": 5, "maxResults": 10})
    assert r.status_code == 500
    assert r.json()["errorMessages"] == [
        "Search limit exceeded. We couldn't complete your search because it requests 15 results which exceeded "
        "the search platform limit of 10. Try refining your query or contact your Jira administrator. "
        "Repeating the same search may not work."
    ]


def test_cloud_index_lag_and_reconcile_issues(cloud):
    raw = Raw(cloud)
    cloud.configure(index_lag_seconds=30)
    key = cloud.create_issue("DEV", summary="fresh")
    issue_id = cloud.issue(key)["id"]

    def found(**extra) -> list[str]:
        return [
            i["key"]
            for i in raw.get("search/jql", params={"jql": "project = DEV", "fields": "summary", **extra}).json()[
                "issues"
            ]
        ]

    assert found() == []
    assert found(reconcileIssues=issue_id) == [key]
    r = raw.post("search/jql", {"jql": "project = DEV", "fields": ["summary"], "reconcileIssues": [int(issue_id)]})
    assert [i["key"] for i in r.json()["issues"]] == [key]
    too_many = raw.post("search/jql", {"jql": "project = DEV", "reconcileIssues": list(range(1, 52))})
    assert too_many.status_code == 400
    cloud.advance(31)
    assert found() == [key]


def test_long_urls_are_refused_but_post_search_serves_long_jql(emu):
    raw = Raw(emu)
    key = emu.create_issue("DEV", summary="x")
    jql = f"key = {key} OR " + " OR ".join(f'summary ~ "word{i}"' for i in range(600))
    path = "search/jql" if emu.mode == "cloud" else "search"
    assert len(jql) > emu.max_url_length
    assert raw.get(path, params={"jql": jql}).status_code == 414
    r = raw.post(path, {"jql": jql, "fields": ["summary"]})
    assert r.status_code == 200 and [i["key"] for i in r.json()["issues"]] == [key]


def test_comment_properties_by_the_documented_ways(emu, raw):
    key = emu.create_issue("USER", summary="chat")
    r = raw.post(
        f"issue/{key}/comment",
        {"body": body_for(emu, "ours"), "properties": [{"key": "jirasync.comment", "value": {"intent": "i-1"}}]},
    )
    cid = r.json()["id"]
    listed = raw.get(f"issue/{key}/comment", params={"expand": "properties"}).json()["comments"][0]
    assert ("properties" in listed) == (emu.mode != "cloud")
    assert raw.get(f"comment/{cid}/properties/jirasync.comment").json()["value"] == {"intent": "i-1"}
    by_id = raw.post("comment/list", {"ids": [int(cid)]}, params={"expand": "properties"})
    if emu.mode == "cloud":
        assert by_id.json()["values"][0]["properties"] == [{"key": "jirasync.comment", "value": {"intent": "i-1"}}]
        assert by_id.json()["total"] == 1
    else:
        assert by_id.status_code == 404  # not relied upon on Data Center


def test_after_search_page_hook_runs_once_after_the_page(server):
    for i in range(3):
        server.create_issue("DEV", summary=f"i{i}")
    raw = Raw(server)
    server.after_search_page(lambda: server.delete_issue("DEV-1"))
    first = raw.get("search", params={"jql": "project = DEV ORDER BY key", "maxResults": 2}).json()
    assert [i["key"] for i in first["issues"]] == ["DEV-1", "DEV-2"] and first["total"] == 3
    second = raw.get("search", params={"jql": "project = DEV ORDER BY key", "startAt": 2}).json()
    assert second["total"] == 2 and second["issues"] == []  # DEV-3 moved to position 1: offset paging skips it


def test_ambiguous_wall_time_at_fall_back_reads_as_the_later_instant():
    from jirasync_cli.emulator import JiraEmulator, Workflow

    emu = JiraEmulator(mode="server", timezone="America/New_York").start()
    try:
        emu.add_project("DEV", workflow=Workflow.dev_default())
        # 2026-11-01 01:30 happens at 05:30Z (EDT) and again at 06:30Z (EST)
        early = emu.create_issue("DEV", summary="first 01:40", at=datetime(2026, 11, 1, 5, 40, tzinfo=UTC))
        late = emu.create_issue("DEV", summary="second 01:40", at=datetime(2026, 11, 1, 6, 40, tzinfo=UTC))
        r = Raw(emu).get("search", params={"jql": 'project = DEV AND created >= "2026/11/01 01:30"'}).json()
        assert [i["key"] for i in r["issues"]] == [late] and early != late
    finally:
        emu.stop()


def test_unknown_setting_is_refused(emu):
    with pytest.raises(EmulatorError):
        emu.configure(strictness=11)
