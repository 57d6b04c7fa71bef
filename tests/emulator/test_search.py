"""Search: Cloud's /search/jql with nextPageToken, Server's /search with startAt/total."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from jira.exceptions import JIRAError

from .helpers import Raw, client

T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)


def _bulk(emu, n_spread: int, n_same_minute: int) -> set[str]:
    """Issues with distinct minutes, then a run sharing one ``updated`` minute (different seconds)."""
    keys = set()
    for i in range(n_spread):
        keys.add(emu.create_issue("USER", summary=f"spread {i}", at=T0 + timedelta(minutes=i)))
    minute = T0 + timedelta(hours=10)
    for i in range(n_same_minute):
        keys.add(emu.create_issue("DEV", summary=f"burst {i}", at=minute + timedelta(milliseconds=i * 7)))
    return keys


def test_cloud_paging_returns_each_issue_exactly_once(cloud):
    keys = _bulk(cloud, 110, 150)
    j = client(cloud)
    jql = 'project in (USER, DEV) AND updated >= "2026/03/02 09:00" ORDER BY updated ASC'
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        page = j.enhanced_search_issues(
            jql, nextPageToken=token, maxResults=40, fields="summary,updated", json_result=True
        )
        pages += 1
        assert "total" not in page and "startAt" not in page
        seen += [i["key"] for i in page["issues"]]
        if page["isLast"]:
            assert "nextPageToken" not in page
            break
        token = page["nextPageToken"]
        # changes while paging (new issues, edits of seen ones) must not duplicate or skip
        if pages == 2:
            # an issue appearing behind the cursor shifts nothing (offset paging would repeat one)
            cloud.create_issue("USER", summary="late arrival", at=T0 + timedelta(seconds=30))
    assert len(seen) == len(set(seen)) == 260
    assert set(seen) == keys
    assert pages == 7


def test_cloud_defaults_caps_and_id_only(cloud):
    for i in range(120):
        cloud.create_issue("USER", summary=f"issue {i}")
    raw = Raw(cloud)
    r = raw.get("search/jql", params={"jql": "project = USER"}).json()
    assert len(r["issues"]) == 50 and set(r["issues"][0]) == {"id"}  # ids only by default
    r = raw.get("search/jql", params={"jql": "project = USER", "maxResults": 1000}).json()
    assert len(r["issues"]) == 120 and r["isLast"] is True  # ids only: up to 5000
    r = raw.get("search/jql", params={"jql": "project = USER", "maxResults": 1000, "fields": "summary"}).json()
    assert len(r["issues"]) == 100 and r["isLast"] is False  # with fields: at most 100
    r = raw.post("search/jql", {"jql": "project = USER", "fields": ["*navigable"], "maxResults": 5}).json()
    fields = r["issues"][0]["fields"]
    assert "summary" in fields and "comment" not in fields
    r = raw.get("search/jql", params={"jql": "project = USER", "fields": ["*all", "-description"], "maxResults": 1})
    assert "comment" in r.json()["issues"][0]["fields"] and "description" not in r.json()["issues"][0]["fields"]
    r = raw.get("search/jql", params={"jql": "project = USER", "fields": "key", "maxResults": 1000}).json()
    assert len(r["issues"]) == 120 and r["issues"][0]["fields"] == {}  # key only: the ids-only cap
    r = raw.get(
        "search/jql", params={"jql": "project = USER", "fields": "summary,status", "expand": "names", "maxResults": 1}
    ).json()
    assert r["names"] == {"summary": "Summary", "status": "Status"} and "names" not in r["issues"][0]
    # newest first without ORDER BY
    first = raw.get("search/jql", params={"jql": "project = USER", "fields": "summary", "maxResults": 1}).json()
    assert first["issues"][0]["fields"]["summary"] == "issue 119"


def test_cloud_bad_token_and_unbounded_query(cloud):
    raw = Raw(cloud)
    r = raw.get("search/jql", params={"jql": "project = USER", "nextPageToken": "garbage"})
    assert r.status_code == 400
    cloud.create_issue("USER", summary="a")
    cloud.create_issue("USER", summary="b")
    page = raw.get("search/jql", params={"jql": "project = USER", "maxResults": 1}).json()
    other = raw.get("search/jql", params={"jql": "project = DEV", "nextPageToken": page["nextPageToken"]})
    assert other.status_code == 400  # a token belongs to its query
    r = raw.get("search/jql", params={"jql": "ORDER BY created"})
    assert r.status_code == 400 and "Unbounded JQL" in r.json()["errorMessages"][0]
    assert raw.post("search/approximate-count", {"jql": "project = USER"}).json() == {"count": 2}


def test_server_paging_with_start_at(server):
    keys = _bulk(server, 110, 150)
    j = client(server)
    jql = "project in (USER, DEV) ORDER BY updated ASC, key ASC"
    seen = []
    start = 0
    while True:
        page = j.search_issues(jql, startAt=start, maxResults=100, fields="summary")
        assert page.total == 260
        seen += [i.key for i in page]
        start += len(page)
        if not len(page) or start >= page.total:
            break
    assert len(seen) == len(set(seen)) == 260 and set(seen) == keys
    everything = j.search_issues(jql, maxResults=False)  # the client pages by itself
    assert len(everything) == 260
    r = Raw(server).get("search", params={"jql": "project = DEV", "maxResults": 5000}).json()
    assert r["maxResults"] == 1000 and r["total"] == 150 and len(r["issues"]) == 150
    assert "comment" not in r["issues"][0]["fields"]  # *navigable by default


def test_search_embeds_limited_comments_and_properties(emu):
    emu.search_comment_limit = 2
    key = emu.create_issue("USER", summary="discussed")
    for n in range(5):
        emu.add_comment(key, f"c{n}", as_account="bob")
    emu.set_property(key, "jirasync.source", {"k": 1})
    raw = Raw(emu)
    path = "search/jql" if emu.mode == "cloud" else "search"
    r = raw.get(path, params={"jql": f"key = {key}", "fields": "comment,summary", "properties": "jirasync.source"})
    issue = r.json()["issues"][0]
    page = issue["fields"]["comment"]
    assert page["total"] == 5 and len(page["comments"]) == 2 and page["maxResults"] == 2
    if emu.mode == "cloud":
        assert issue["properties"] == {"jirasync.source": {"k": 1}}
    else:  # Data Center's search ignores properties=
        assert "properties" not in issue
    rest = raw.get(f"issue/{key}/comment", params={"startAt": 2}).json()
    assert len(rest["comments"]) == 3


def test_search_with_the_jira_client_resultlist(emu):
    for i in range(7):
        emu.create_issue("DEV", summary=f"dev {i}", labels=["backend"] if i % 2 else None)
    j = client(emu)
    found = j.search_issues("project = DEV AND labels = backend ORDER BY key ASC", maxResults=False)
    assert [i.key for i in found] == ["DEV-2", "DEV-4", "DEV-6"]
    with pytest.raises(JIRAError) as err:
        j.search_issues("project = NOPE")
    assert err.value.status_code == 400
    assert "The value 'NOPE' does not exist for the field 'project'." in err.value.text


def test_repeated_queries_see_every_change(emu):
    """Results are reused between identical searches only while nothing changed."""
    raw = Raw(emu)
    path = "search/jql" if emu.mode == "cloud" else "search"

    def keys(jql):
        return [i["key"] for i in raw.get(path, params={"jql": jql, "fields": "summary"}).json()["issues"]]

    key = emu.create_issue("USER", summary="quiet", at=emu.now() - timedelta(hours=2))
    idle = "project = USER AND labels = hot"
    assert keys(idle) == [] and keys(idle) == []
    emu.edit(key, {"labels": ["hot"]}, as_account="alice")
    assert keys(idle) == [key]
    raw.put(f"issue/{key}/properties/p", {"x": 1})  # any write invalidates, even one JQL can't see
    assert keys(idle) == [key]
    recent = "project = USER AND updated >= -10m"
    assert keys(recent) == [key]
    emu.advance(3600)  # relative dates move with the clock, without any write
    assert keys(recent) == []
