"""Large cycles streamed page by page: bounded batches, and an interrupted initial sync
resumed without losing or duplicating anything."""

from __future__ import annotations

from collections import Counter

import pytest

from jirasync_cli.jira import client as jira_client
from jirasync_cli.jira.errors import JiraUnavailable
from jirasync_cli.jira.models import SOURCE_PROPERTY
from jirasync_cli.sync import pages
from tests.fixtures.pair import Pair, escalate_issues

PAGE = 4


@pytest.fixture
def small_pages(monkeypatch):
    """Pages of 4 issues, and more than 6 issues make a cycle go page by page."""
    from jirasync_cli.sync import cycle

    monkeypatch.setattr(jira_client, "CLOUD_PAGE", PAGE)
    monkeypatch.setattr(jira_client, "SERVER_PAGE", PAGE)
    monkeypatch.setattr(cycle, "STREAM_AFTER", 6)


def _dev_issues_per_user_issue(emu) -> Counter[str]:
    return Counter((d.get("properties") or {}).get(SOURCE_PROPERTY, {}).get("userKey") for d in emu.issues("DEV"))


def record_batches(monkeypatch) -> list[int]:
    """The size of every batch the cycle plans, in order (recorded as it plans them)."""
    batches: list[int] = []
    plan_batch = pages.plan_batch

    def recording(rt, issues, report, **kwargs):
        batches.append(len(issues))
        return plan_batch(rt, issues, report, **kwargs)

    monkeypatch.setattr(pages, "plan_batch", recording)
    return batches


def test_initial_sync_plans_and_applies_a_page_at_a_time(pair: Pair, small_pages, monkeypatch):
    keys = escalate_issues(pair.emu, 10)
    quiet = [pair.emu.create_issue("USER", summary=f"Question {i}", as_account="bob") for i in range(5)]
    batches = record_batches(monkeypatch)
    report = pair.cycle()
    assert report.mode == "full" and not report.errors
    assert max(batches) <= PAGE and sum(batches) == len(keys) + len(quiet)  # no dev issue yet when they were read
    assert report.counts()["created"] == len(keys) == len(report.created)
    assert _dev_issues_per_user_issue(pair.emu) == Counter(keys)
    state = pair.store().load_state()
    assert state.initial_sync_completed and state.last_sync is not None
    assert state.last_sync <= report.started_at  # the watermark is the start of the first search


def test_interrupted_initial_sync_resumes_without_loss_or_duplicates(pair: Pair, small_pages, monkeypatch):
    emu = pair.emu
    keys = escalate_issues(emu, 12)
    apply_batch = pages.apply_batch
    calls = {"n": 0}

    def dying(rt, plan, issues, report, carry, progress):
        calls["n"] += 1
        apply_batch(rt, plan, issues, report, carry, progress)
        if calls["n"] == 2:  # the second user page was written, the third never starts
            raise JiraUnavailable(None, "ConnectionError", None, "search")

    monkeypatch.setattr(pages, "apply_batch", dying)
    with pytest.raises(JiraUnavailable):
        pair.cycle()
    done = _dev_issues_per_user_issue(emu)
    assert 0 < sum(done.values()) < len(keys)
    state = pair.store().load_state()
    assert state.last_sync is None and not state.initial_sync_completed  # no watermark over unfinished pages

    person_moved = keys[0]  # a page done before the interruption changes meanwhile
    emu.add_comment(person_moved, "still broken", as_account="bob")
    monkeypatch.setattr(pages, "apply_batch", apply_batch)
    report = pair.cycle()
    assert report.mode == "full" and not report.errors
    assert _dev_issues_per_user_issue(emu) == Counter(keys)  # every issue once: none lost, none twice
    assert report.counts()["created"] == len(keys) - sum(done.values())
    dev_of_moved = next(
        d["key"] for d in emu.issues("DEV") if d["properties"][SOURCE_PROPERTY]["userKey"] == person_moved
    )
    assert pair.cycle().mode == "incremental"
    assert any("still broken" in str(c["body"]) for c in emu.comments(dev_of_moved))
    assert pair.store().load_state().initial_sync_completed


def test_incremental_cycle_with_many_changes_goes_page_by_page(pair: Pair, small_pages, monkeypatch):
    emu = pair.emu
    keys = escalate_issues(emu, 6)
    pair.cycle()
    batches = record_batches(monkeypatch)
    devs = [d["key"] for d in emu.issues("DEV")]
    for key in devs:
        for status in ("In Progress", "In Review", "Done"):
            emu.transition(key, status, as_account="dan")
    report = pair.cycle()
    assert report.mode == "incremental" and not report.errors
    assert batches and max(batches) <= PAGE  # never the whole result at once
    assert {emu.issue(k)["status"] for k in keys} == {"Resolved"}
    assert report.actions["transition"] == len(keys)
    again = pair.cycle()  # nothing twice
    assert again.actions.get("transition", 0) == 0 and not again.errors


def test_shutdown_stops_a_streamed_sync_between_pages_without_a_watermark(pair: Pair, small_pages, monkeypatch):
    from jirasync_cli.jira.pacing import Cancelled

    escalate_issues(pair.emu, 10)
    apply_batch = pages.apply_batch
    batches = []

    def stopping(rt, plan, issues, report, carry, progress):
        batches.append(len(issues))
        apply_batch(rt, plan, issues, report, carry, progress)
        rt.cancel.set()  # SIGTERM arrives while the first page is applied

    monkeypatch.setattr(pages, "apply_batch", stopping)
    with pytest.raises(Cancelled):
        pair.cycle()
    assert len(batches) == 1  # no page read after the stop was planned or applied
    state = pair.store().load_state()
    assert state.last_sync is None and not state.initial_sync_completed


def test_a_small_initial_sync_is_one_batch(pair: Pair, small_pages, monkeypatch):
    keys = escalate_issues(pair.emu, 3)  # 3 issues, under the streaming threshold
    batches: list[int] = []
    plan_batch = pages.plan_batch

    def recording(rt, issues, report, **kwargs):
        batches.append(len(issues))
        return plan_batch(rt, issues, report, **kwargs)

    from jirasync_cli.sync import cycle

    monkeypatch.setattr(pages, "plan_batch", recording)
    monkeypatch.setattr(cycle, "plan_batch", recording)
    report = pair.cycle()
    assert batches == [3] and report.requests_by_kind["search"] == 1  # both projects in one search
    assert _dev_issues_per_user_issue(pair.emu) == Counter(keys)
