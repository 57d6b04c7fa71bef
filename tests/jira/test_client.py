"""The client layer against the emulator over real HTTP, in both deployment flavours."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from jirasync_cli.config import JiraSite
from jirasync_cli.config.models import JiraConnection
from jirasync_cli.emulator import JiraEmulator, RateLimit
from jirasync_cli.jira import JiraApiError, JiraUnavailable, connect, pacing
from jirasync_cli.jira.adf import text_to_adf, to_text
from jirasync_cli.jira.jql import jql_datetime, sync_jql
from tests.fixtures.emulator import start_emulator


@pytest.fixture(autouse=True)
def _fresh_pacers():
    pacing._registry.clear()  # each test's emulator is a new "site"
    yield
    pacing._registry.clear()


def conn(emu: JiraEmulator, **overrides) -> JiraSite:
    values = {
        "base_url": emu.url,
        "email": "bot@example.com",
        "api_token": "emulator-token",
        "max_requests_per_second": 500,
    }
    values.update(overrides)
    return JiraConnection(**values).to_site()


def test_detects_deployment_and_identity(emu):
    client = connect(conn(emu))
    assert client.is_cloud == (emu.mode == "cloud")
    assert client.api_version == ("3" if emu.mode == "cloud" else "2") and client.adf == (emu.mode == "cloud")
    assert client.me.id and client.me.time_zone == ZoneInfo("Europe/Berlin")
    assert [(e.method, e.path.rsplit("/", 1)[1]) for e in emu.request_log] == [("GET", "serverInfo"), ("GET", "myself")]


def test_bearer_token_and_bad_token(emu):
    assert connect(conn(emu, auth_type="pat", email=None)).me.id
    with pytest.raises(JiraApiError) as err:
        connect(conn(emu, api_token="wrong-token-value"))
    assert err.value.status == 401 and "wrong-token-value" not in str(err.value)


def test_paging_returns_each_issue_once_even_with_150_sharing_a_minute(emu):
    minute = emu.now().replace(second=0, microsecond=0) - timedelta(hours=1)
    for i in range(150):
        emu.create_issue("USER", summary=f"same minute {i}", at=minute + timedelta(milliseconds=i))
    for i in range(110):
        emu.create_issue("DEV", summary=f"spread {i}", at=minute + timedelta(minutes=1 + i))
    client = connect(conn(emu))
    emu.clear_request_log()
    pages = []
    result = client.search(sync_jql("USER", "DEV"), on_page=pages.append)
    keys = [i.key for i in result.issues]
    assert len(keys) == 260 and len(set(keys)) == 260
    searches = [e for e in emu.request_log if "search" in e.path]
    expected_path = "/rest/api/3/search/jql" if emu.mode == "cloud" else "/rest/api/2/search"
    assert {e.path for e in searches} == {expected_path}
    assert len(searches) == result.requests == (3 if emu.mode == "cloud" else 1)
    assert pages[-1] == 260
    issue = result.issues[0]
    assert issue.status == "Open" and issue.summary and issue.updated and issue.project == "USER"
    # No per-issue GETs: everything came with the search.
    assert [e for e in emu.request_log if "/issue/" in e.path] == []


@pytest.mark.parametrize("mode", ["cloud", "server"])
def test_incremental_filter_reads_the_account_time_zone(mode, make_emu):
    emu = make_emu(mode, timezone="Asia/Kolkata")  # +05:30, not a whole hour
    t0 = datetime(2026, 11, 20, 8, 0, tzinfo=ZoneInfo("UTC"))
    before = emu.create_issue("USER", summary="before", at=t0 - timedelta(minutes=2))
    edge = emu.create_issue("USER", summary="same minute", at=t0 + timedelta(seconds=40))
    after = emu.create_issue("USER", summary="after", at=t0 + timedelta(minutes=3))
    client = connect(conn(emu))
    assert client.me.time_zone == ZoneInfo("Asia/Kolkata")
    assert jql_datetime(t0 + timedelta(seconds=40), client.me.time_zone) == "2026/11/20 13:30"
    found = {
        i.key
        for i in client.search(
            sync_jql("USER", "DEV", since=t0 + timedelta(seconds=40), zone=client.me.time_zone)
        ).issues
    }
    assert found == {edge, after} and before not in found


def test_search_started_at_comes_from_jiras_clock(emu):
    emu.clock_offset_seconds = 3600  # Jira's clock runs an hour ahead of ours
    client = connect(conn(emu))
    started = client.search(sync_jql("USER", "DEV")).started_at
    assert abs((started - emu.now()).total_seconds()) < 5


def test_transition_to_status_and_clear_error(emu):
    key = emu.create_issue("USER", summary="move me")
    client = connect(conn(emu))
    assert client.transition_to(key, "Will Do", project="USER", issuetype="Task", current="Open")
    assert emu.issue(key)["status"] == "Will Do"
    other = emu.create_issue("USER", summary="and me")
    emu.clear_request_log()
    assert client.transition_to(other, "will do", project="USER", issuetype="Task", current="Open")
    assert [e.method for e in emu.request_log] == ["POST"], "cached transition id: one request"
    assert not client.transition_to(other, "Will Do", project="USER", issuetype="Task", current="Will Do")
    with pytest.raises(JiraApiError) as err:
        client.transition_to(other, "Closed", project="USER", issuetype="Task", current="Will Do")
    assert err.value.key == other and "no transition reaches status 'Closed'" in str(err.value)
    assert "reachable:" in str(err.value) and "Resolved" in str(err.value)


def test_comments_adf_on_cloud_wiki_on_server_and_found_by_intent(emu):
    key = emu.create_issue("USER", summary="talk")
    client = connect(conn(emu))
    body = text_to_adf("Hello from the sync") if client.adf else "Hello from the sync"
    comment_id = client.add_comment(key, body, "intent-42")
    assert client.find_comment_by_intent(key, "intent-42") == comment_id
    assert client.find_comment_by_intent(key, "intent-43") is None
    (comment,) = client.comments(key)
    assert isinstance(comment.body, dict) == client.adf and to_text(comment.body) == "Hello from the sync"
    if client.adf:
        with pytest.raises(JiraApiError) as err:
            client.add_comment(key, "plain string on v3", "intent-44")
        assert err.value.status == 400 and "Comment body is not valid" in str(err.value)


def test_create_is_atomic_with_property_and_link(emu):
    emu.set_screens("all", project="DEV")  # Linked Issues on the create screen: one request does it all
    user = emu.create_issue("USER", summary="source")
    client = connect(conn(emu))
    key = client.create_issue(
        "DEV",
        "Task",
        {"summary": "copy", "priority": "High", "labels": ["x"]},
        source={"pair": "p", "userKey": user, "intent": "i1"},
        link_to=user,
    )
    assert client.issue_property(key, "jirasync.source")["userKey"] == user
    assert any(link.other_key == key for link in client.get_issue(user).links)
    with pytest.raises(JiraApiError) as err:
        client.create_issue("DEV", "Task", {"summary": ""}, source={}, source_key=user)
    assert err.value.status == 400 and err.value.key == user and "summary" in str(err.value)


def test_create_screen_is_read_once_per_project_and_type(emu):
    emu.set_screens({"Bug": "minimal", "*": "default"}, project="DEV")
    client = connect(conn(emu))
    emu.clear_request_log()
    task = client.create_screen("DEV", "task")
    assert task.fields == {
        "summary",
        "issuetype",
        "project",
        "description",
        "priority",
        "labels",
        "assignee",
        "reporter",
    }
    assert not task.allows("issuelinks") and task.required == {"summary", "issuetype", "project"}
    assert client.create_screen("DEV", "Task") is task  # cached: no more requests
    bug = client.create_screen("DEV", "Bug")
    assert not bug.allows("labels") and bug.allows("summary")
    paths = [e.path.split("/rest/api/")[1].split("/", 1)[1] for e in emu.request_log]
    assert paths == [
        "issue/createmeta/DEV/issuetypes",
        "issue/createmeta/DEV/issuetypes/10001",
        "issue/createmeta/DEV/issuetypes",
        "issue/createmeta/DEV/issuetypes/10004",
    ]
    task.refuse({"labels"})  # Jira refused it although listed: not sent again
    assert not task.allows("labels")
    assert task.first_report() and not task.first_report()
    with pytest.raises(JiraApiError, match="'Sub-task' cannot be created in project DEV"):
        client.create_screen("DEV", "Sub-task")


@pytest.mark.parametrize("link_type", ["Blocks", "Cloners"])
def test_link_reads_dev_outward_phrase_user_on_both_paths(emu, link_type):
    """Link on create and link afterwards give the same direction: "DEV-1 clones USER-1"."""
    emu.set_screens("all", project="DEV")
    client = connect(conn(emu, link_type=link_type))
    outward, inward = {"Blocks": ("blocks", "is blocked by"), "Cloners": ("clones", "is cloned by")}[link_type]
    readings = []
    for on_create in (True, False):
        user = emu.create_issue("USER", summary="source")
        dev = client.create_issue("DEV", "Task", {"summary": "copy"}, source={}, link_to=user if on_create else None)
        if not on_create:
            emu.clear_request_log()
            client.link(dev_key=dev, user_key=user)
            assert [(e.method, e.path.rsplit("/", 1)[1]) for e in emu.request_log] == [("POST", "issueLink")]
        (on_dev,), (on_user,) = emu.issue(dev)["links"], emu.issue(user)["links"]
        readings.append((on_dev["description"], on_dev["key"], on_user["description"], on_user["key"]))
        assert readings[-1] == (outward, user, inward, dev)
    assert readings[0][0::2] == readings[1][0::2]


def test_rate_limit_retry_after_is_honoured(emu):
    emu.faults.rate_limit = RateLimit(2, 2)  # 2 requests/s, burst 2
    client = connect(conn(emu))
    key = emu.create_issue("USER", summary="x")
    started = time.monotonic()
    for _ in range(6):
        assert client.get_issue(key).key == key
    elapsed = time.monotonic() - started
    limited = [e for e in emu.request_log if e.status == 429]
    assert limited, "the emulator did rate-limit"
    assert client.pacer.rate_limited == len(limited)
    assert elapsed >= 1.0, "waited as Retry-After asked"


def test_pacing_keeps_under_the_limit(emu):
    emu.faults.rate_limit = RateLimit(20, 5, near_limit=False)  # no early warnings: only the ceiling holds it
    client = connect(conn(emu, max_requests_per_second=15, max_requests_per_second_ceiling=15))
    key = emu.create_issue("USER", summary="x")
    emu.clear_request_log()
    for _ in range(30):
        client.get_issue(key)
    assert [e for e in emu.request_log if e.status == 429] == []


def test_5xx_retried_for_reads_not_for_creates(emu):
    key = emu.create_issue("USER", summary="x")
    client = connect(conn(emu))
    emu.faults.fail_next("GET", rf"/issue/{key}$", status=503, count=2)
    assert client.get_issue(key).key == key
    assert [e.status for e in emu.request_log if e.path.endswith(key)][-3:] == [503, 503, 200]
    emu.faults.fail_next("POST", r"/issue$", status=502, after_apply=True)
    before = len(emu.issues("DEV"))
    with pytest.raises(JiraUnavailable) as err:
        client.create_issue("DEV", "Task", {"summary": "once"}, source={}, source_key=key)
    assert err.value.status == 502 and err.value.key == key
    assert len(emu.issues("DEV")) == before + 1, "applied once, not resent blindly"
    assert len([e for e in emu.request_log if e.method == "POST" and e.path.endswith("/issue")]) == 1


def test_connection_refused_is_one_clear_error():
    port_owner = start_emulator("cloud", projects=())
    url = port_owner.url
    port_owner.stop()
    values = {"base_url": url, "email": "bot@example.com", "api_token": "emulator-token"}
    with pytest.raises(JiraUnavailable) as err:
        connect(JiraConnection(**values).to_site())
    assert "connect to Jira failed: no response: ConnectionError" in str(err.value)
