"""The cycle after a burst of our own writes re-plans none of the issues we wrote to
(their ``updated`` moved, nothing else did), and still syncs what people changed."""

from __future__ import annotations

from jirasync_cli.jira.models import SOURCE_PROPERTY
from tests.fixtures.pair import Pair, escalate_issues


def test_cycle_after_our_writes_plans_none_of_them(pair: Pair):
    emu = pair.emu
    keys = escalate_issues(emu, 5)
    first = pair.cycle()  # creates, links and comments: every issue's `updated` moves
    assert first.counts()["created"] == 5 and not first.errors
    store = pair.store()
    before = {d["_id"]: d.get("updated") for d in store.db.snapshots.find()}
    emu.clear_request_log()
    after = pair.cycle()
    assert after.issues_seen == 10  # the search still returns them (within the window)...
    assert after.unchanged == after.issues_seen and not after.actions  # ...but none is planned
    assert {d["_id"]: d.get("updated") for d in store.db.snapshots.find()} == before  # nor recorded again
    # One search; no read of any issue (Data Center also looks up the project's type once per process).
    assert after.requests_by_kind["search"] == 1 and not [e for e in emu.request_log if "/issue" in e.path]
    assert pair.writes() == []

    # A person's change among them is synced as ever.
    dev = next(d["key"] for d in emu.issues("DEV") if d["properties"][SOURCE_PROPERTY]["userKey"] == keys[0])
    emu.add_comment(keys[0], "any news?", as_account="bob")
    report = pair.cycle()
    assert report.actions["mirror_comment"] == 1 and report.issues_seen - report.unchanged == 1
    assert any("any news?" in str(c["body"]) for c in emu.comments(dev))
