"""Searching like real Jira pages: Data Center's offset paging and result window, Cloud's
index lag, DST fall-back, rejected retry keys and long queries. No change may be lost."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from jirasync_cli.config.models import JiraConnection
from jirasync_cli.emulator import JiraEmulator
from jirasync_cli.jira import connect, pacing
from jirasync_cli.store.pair import STATE_ID
from tests.fixtures.pair import Pair, make_pair
from tests.helpers import plain


@pytest.fixture(autouse=True)
def _fresh_pacers():
    pacing._registry.clear()  # each test's emulator is a new "site"
    yield
    pacing._registry.clear()


def _client(emu: JiraEmulator, page_size: int | None = None):
    client = connect(
        JiraConnection(
            base_url=emu.url, email="bot@example.com", api_token="emulator-token", max_requests_per_second=1000
        ).to_site()
    )
    if page_size:
        client.server_page_size = page_size
    return client


def _open_issues(emu: JiraEmulator, n: int, start: datetime, every_seconds: float = 20) -> list[str]:
    return [
        emu.create_issue(
            "USER", summary=f"Question {i}", as_account="bob", at=start + timedelta(seconds=every_seconds * i)
        )
        for i in range(n)
    ]


def _searches(emu: JiraEmulator) -> list:
    return [e for e in emu.request_log if e.path.endswith(("/search", "/search/jql"))]


# -- Data Center: offset paging ---------------------------------------------------------


def test_data_center_issue_leaving_the_results_between_pages_skips_nothing(server):
    keys = _open_issues(server, 30, server.now() - timedelta(hours=2))
    client = _client(server, page_size=10)
    # Between pages a person resolves two issues of the first page: they leave the results.
    server.after_search_page(lambda: [server.delete_issue(k) for k in keys[2:4]])
    found = [i.key for i in client.search('project = "USER" ORDER BY created ASC, key ASC').issues]
    expected = [k for k in keys if k not in keys[2:4]]
    assert [k for k in found if k in expected] == expected, "no issue skipped"
    assert set(found) <= set(keys)


def test_data_center_full_sync_beyond_the_result_window(server, mongo_url, tmp_path, monkeypatch):
    server.configure(max_result_window=50)  # stands in for 10,000
    keys = _open_issues(server, 130, server.now() - timedelta(hours=3), every_seconds=20)
    monkeypatch.setattr("jirasync_cli.jira.client.SERVER_PAGE", 20)
    pair = make_pair(server, mongo_url, tmp_path)
    server.clear_request_log()
    report = pair.cycle()
    assert report.mode == "full" and not report.errors and report.issues_seen == 130
    assert {s["_id"] for s in pair.store().db.snapshots.find()} == set(keys), "every issue seen"
    searches = _searches(server)
    assert any("created+%3E%3D" in e.query or "created >=" in e.query for e in searches), "narrowed by created"
    refused = [e for e in searches if e.status != 200]  # (the transport retries a 5xx a few times)
    assert refused and {(e.status, e.query) for e in refused} == {(500, refused[0].query)}, (
        "the window was learnt once, then respected"
    )


def test_data_center_window_the_site_configured_lower_is_learnt(server):
    server.configure(max_result_window=30)
    keys = _open_issues(server, 75, server.now() - timedelta(hours=2))
    client = _client(server, page_size=20)
    found = [i.key for i in client.search('project = "USER" ORDER BY created ASC, key ASC').issues]
    assert found == keys and client.result_window == 30


# -- Cloud: index lag ---------------------------------------------------------------------


def test_cloud_index_lag_does_not_lose_a_change(cloud_emu, mongo_url, tmp_path):
    emu = cloud_emu
    pair = make_pair(emu, mongo_url, tmp_path)
    pair.cycle()  # initial sync of an empty site
    emu.configure(index_lag_seconds=90)
    key = emu.create_issue("USER", summary="Printer on fire", as_account="alice")
    emu.transition(key, "Will Do", as_account="alice")
    emu.advance(80)
    assert pair.cycle().created == [], "not in the index yet"
    emu.advance(120)  # indexed now: updated 80 s before the last watermark, inside the overlap
    report = pair.cycle()
    assert [u for u, _ in report.created] == [key]


def test_cloud_search_reconciles_the_issues_written_last_cycle(cloud_emu, mongo_url, tmp_path):
    emu = cloud_emu
    pair = make_pair(emu, mongo_url, tmp_path)
    key = emu.create_issue("USER", summary="Printer on fire", as_account="alice")
    emu.transition(key, "Will Do", as_account="alice")
    [(user, dev)] = pair.cycle().created
    state = pair.store().db.sync_state.find_one({"_id": STATE_ID})
    assert emu.issue(user)["id"] in state["reconcile_ids"]
    emu.clear_request_log()
    pair.cycle()
    [first] = _searches(emu)
    assert f"reconcileIssues={emu.issue(user)['id']}" in first.query


# -- DST fall-back ----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["cloud", "server"])
def test_change_just_after_a_fall_back_is_not_missed(mode, make_emu, mongo_url, tmp_path):
    emu = make_emu(mode, timezone="America/New_York")
    # 05:20Z is 01:20 EDT, the first of two 01:20s this night (clocks fall back at 06:00Z).
    emu.clock_offset_seconds = datetime(2026, 11, 1, 5, 20, tzinfo=UTC).timestamp() - time.time()
    pair = make_pair(emu, mongo_url, tmp_path)
    pair.cycle()
    key = emu.create_issue("USER", summary="Late night", as_account="alice")
    emu.transition(key, "Will Do", as_account="alice")
    emu.advance(120)
    # The filter is "watermark - 5 min" = about 01:15 EDT: read as 01:15 EST it would start
    # an hour late and miss the change.
    report = pair.cycle()
    assert [u for u, _ in report.created] == [key]


# -- retry keys ---------------------------------------------------------------------------


def _failed_escalation(pair: Pair) -> str:
    """A user issue whose escalation failed half-way (its note refused) and is now outside
    the incremental window: only its retry key brings it back."""
    emu = pair.emu
    pair.cycle()
    key = emu.create_issue("USER", summary="Escalate me", as_account="alice")
    emu.transition(key, "Will Do", as_account="alice")
    emu.faults.fail_next("POST", rf"/issue/{key}/comment$", status=400)
    assert pair.cycle().errors
    assert _escalation_notes(pair, key) == 0
    emu.advance(3600)
    return key


def _escalation_notes(pair: Pair, key: str) -> int:
    return sum(1 for c in pair.emu.comments(key) if "Escalated" in plain(c["body"]))


def test_a_400_naming_no_key_keeps_every_retry_key(pair: Pair):
    emu = pair.emu
    key = _failed_escalation(pair)
    emu.faults.fail_next("*", r"/search(/jql)?$", status=400)  # an unexplained 400 on the search
    report = pair.cycle()
    assert _escalation_notes(pair, key) == 1 and not report.errors


def test_a_400_naming_a_key_drops_only_that_key(pair: Pair):
    emu = pair.emu
    key = _failed_escalation(pair)
    gone = emu.create_issue("USER", summary="Deleted later", as_account="alice")
    store = pair.store()
    state = store.db.sync_state.find_one({"_id": STATE_ID})
    earlier = {f"retry_keys.{k}": v for k, v in state["retry_keys"].items()}
    store.db.sync_state.update_one(
        {"_id": STATE_ID}, {"$set": {f"retry_keys.{gone}": {"attempts": 1, "reason": "x"}, **earlier}}
    )
    emu.delete_issue(gone)
    pair.cycle()
    assert _escalation_notes(pair, key) == 1
    assert gone not in store.db.sync_state.find_one({"_id": STATE_ID})["retry_keys"]


def test_hundreds_of_retry_keys_go_by_post(pair: Pair):
    emu = pair.emu
    pair.cycle()
    keys = _open_issues(emu, 200, emu.now() - timedelta(days=2))
    emu.advance(60)
    pair.store().db.sync_state.update_one(
        {"_id": STATE_ID}, {"$set": {"retry_keys": {k: {"attempts": 1, "reason": "x"} for k in keys}}}
    )
    emu.clear_request_log()
    report = pair.cycle()
    assert report.issues_seen == 200 and not report.errors
    assert {e.method for e in _searches(emu)} == {"POST"} and all(e.status == 200 for e in _searches(emu))


def test_retry_keys_beyond_one_cycles_share_wait_for_the_next(pair: Pair, monkeypatch):
    monkeypatch.setattr("jirasync_cli.sync.cycle.MAX_RETRY_KEYS", 1)
    emu = pair.emu
    pair.cycle()
    first, second = _open_issues(emu, 2, emu.now() - timedelta(days=2))
    emu.advance(60)
    store = pair.store()
    store.db.sync_state.update_one(
        {"_id": STATE_ID}, {"$set": {"retry_keys": {k: {"attempts": 1, "reason": "x"} for k in (first, second)}}}
    )
    pair.cycle()
    assert set(store.db.sync_state.find_one({"_id": STATE_ID})["retry_keys"]) == {second}
    pair.cycle()
    assert store.db.sync_state.find_one({"_id": STATE_ID})["retry_keys"] == {}
