"""Deterministic, minimal reproductions of what the chaos runs found, one fault at a time.

The storm scenarios show these as lost status changes, lost mirrored comments or dev issues
missing from the audit, at random places; here each is provoked on purpose in one pair with
in-process cycles, so a fix can be checked in seconds. Each test asserts the correct outcome.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from jirasync_cli.emulator import JiraEmulator
from tests.fixtures.pair import Pair, make_pair
from tests.helpers import plain

pytestmark = pytest.mark.chaos

DEV_FLOW = ("In Progress", "In Review", "Done")
CREATE = r"/rest/api/\d/issue$"


@pytest.fixture
def emu(make_emu: Callable[..., JiraEmulator]) -> JiraEmulator:
    return make_emu("cloud")


@pytest.fixture
def pair(emu, mongo_url, tmp_path) -> Pair:
    pair = make_pair(emu, mongo_url, tmp_path)
    pair.cycle()  # the initial full sync: nothing to do yet
    return pair


def escalate(emu: JiraEmulator, summary: str = "Login fails") -> str:
    key = emu.create_issue("USER", summary=summary, as_account="bob")
    emu.transition(key, "Will Do", as_account="alice")
    return key


def develop(emu: JiraEmulator, dev_key: str, until: str) -> None:
    for status in DEV_FLOW[: DEV_FLOW.index(until) + 1]:
        emu.transition(dev_key, status, as_account="dan")


def comments(emu: JiraEmulator, key: str) -> list[str]:
    return [plain(c["body"]) for c in emu.comments(key)]


def settle(pair: Pair, cycles: int = 3) -> None:
    for _ in range(cycles):
        pair.cycle()


@pytest.mark.parametrize(("until", "user_status"), [("In Progress", "In Progress"), ("Done", "Resolved")])
def test_dev_work_done_before_a_lost_create_is_recovered_reaches_the_user_issue(emu, pair, until, user_status):
    """The create's response is lost (502 after Jira applied it). Developers see the new dev
    issue at once and work on it before the next cycle recovers the create. Their status
    changes are changes like any other: the user issue must follow them."""
    user_key = escalate(emu)
    emu.faults.fail_next("POST", CREATE, status=502, after_apply=True)
    assert pair.cycle().errors, "the lost response is reported"
    (dev,) = emu.issues("DEV")
    develop(emu, dev["key"], until)
    emu.add_comment(dev["key"], "root cause found", as_account="dan")
    settle(pair)
    assert emu.issue(user_key)["status"] == user_status
    assert "Dan Okafor wrote:\nroot cause found" in comments(emu, user_key)


def test_a_recovered_create_does_not_change_how_later_dev_issues_are_seen(emu, pair):
    """Same runtime (one worker process): after recovering a create whose dev issue had
    already moved on, a dev issue created later that moves To Do -> In Progress must still
    move its user issue to In Progress."""
    from jirasync_cli.runtime.wiring import open_runtime, open_store
    from jirasync_cli.store import Lease, owner_id
    from jirasync_cli.sync.cycle import run_cycle

    store = open_store(pair.config, pair.settings)
    lease = Lease(store.client, pair.config.db_name, owner_id(pair.config.name), pair.settings.lease_ttl_seconds)
    assert lease.acquire()
    store.fence = lease.fence
    lease.start_renewal()
    rt = open_runtime(pair.config, pair.settings, store=store, lease=lease)
    try:
        escalate(emu, "First")
        emu.faults.fail_next("POST", CREATE, status=502, after_apply=True)
        run_cycle(rt)
        (dev,) = emu.issues("DEV")
        develop(emu, dev["key"], "In Progress")
        run_cycle(rt)  # recovers the create
        second = escalate(emu, "Second")
        run_cycle(rt)  # creates the second dev issue normally
        second_dev = next(i["key"] for i in emu.issues("DEV") if i["key"] != dev["key"])
        develop(emu, second_dev, "In Progress")
        run_cycle(rt)
        run_cycle(rt)
    finally:
        lease.release()
        rt.jira.close()
    assert emu.issue(second)["status"] == "In Progress", "the second dev issue's move was not synced"


def test_a_kill_after_the_mapping_is_stored_but_before_the_snapshots_loses_nothing(emu, pair):
    """The applier stores the new mapping and the new dev issue's snapshot in separate bulk
    writes (issue_map, then snapshots, then journal and audit). A worker SIGKILLed between
    them leaves a linked mapping whose dev issue has no snapshot. That state is recreated
    here from a normal cycle's result; what developers do next must still be synced."""
    user_key = escalate(emu)
    db = pair.store().db
    user_snapshot_before = db.snapshots.find_one({"_id": user_key})
    journal_before = {d["_id"] for d in db.journal.find({}, {"_id": 1})}
    audit_before = db.audit.count_documents({})
    report = pair.cycle()
    (dev,) = emu.issues("DEV")
    assert report.created == [(user_key, dev["key"])]
    # What reached MongoDB before the kill: the issue_map bulk write only.
    assert db.issue_map.find_one({"_id": user_key})["state"] == "linked"
    db.snapshots.delete_one({"_id": dev["key"]})
    if user_snapshot_before is None:
        db.snapshots.delete_one({"_id": user_key})
    else:
        db.snapshots.replace_one({"_id": user_key}, user_snapshot_before)
    db.journal.update_many(
        {"_id": {"$nin": sorted(journal_before)}},
        {"$set": {"state": "pending"}, "$unset": {"result": "", "done_at": ""}},
    )
    for entry in list(db.audit.find({}).sort("ts", 1))[audit_before:]:
        db.audit.delete_one({"_id": entry["_id"]})

    develop(emu, dev["key"], "In Progress")
    emu.add_comment(dev["key"], "looking into it", as_account="dan")
    settle(pair)
    assert emu.issue(user_key)["status"] == "In Progress"
    assert "Dan Okafor wrote:\nlooking into it" in comments(emu, user_key)
    assert comments(emu, user_key).count(f"Escalated to engineering as {dev['key']}.") == 1


def test_a_create_whose_response_was_lost_is_audited(emu, pair):
    """One lost response: the dev issue exists, the mapping is recovered, but the audit must
    still say that it was created (and for which user issue)."""
    user_key = escalate(emu)
    emu.faults.fail_next("POST", CREATE, status=502, after_apply=True)
    settle(pair)
    (dev,) = emu.issues("DEV")
    creates = list(pair.store().db.audit.find({"action": "create_issue", "result": "ok"}))
    assert [(e["keys"][0], e["detail"].get("dev_key")) for e in creates] == [(user_key, dev["key"])]
