"""State older than Jira (reset, restored backup) and people's own links: never write twice."""

from __future__ import annotations

from collections import Counter

from jirasync_cli.jira.models import SOURCE_PROPERTY
from tests.fixtures.pair import Pair, escalate_issues
from tests.helpers import plain


def _comment_counts(emu, key):
    return Counter(plain(c["body"]) for c in emu.comments(key))


def test_state_reset_keeping_mappings_writes_nothing_again(pair: Pair):
    emu = pair.emu
    keys = escalate_issues(emu)
    pair.cycle()
    before = {k: _comment_counts(emu, k) for k in keys}
    pair.store().reset_state(forget_mappings=False)
    emu.clear_request_log()
    report = pair.cycle()
    assert report.mode == "full" and pair.writes() == []
    assert {k: _comment_counts(emu, k) for k in keys} == before
    assert len(emu.issues("DEV")) == 2


def test_state_reset_forgetting_mappings_relinks_by_property(pair: Pair):
    emu = pair.emu
    keys = escalate_issues(emu)
    pair.cycle()
    pair.store().reset_state(forget_mappings=True)
    emu.clear_request_log()
    pair.cycle()
    assert pair.writes() == [] and len(emu.issues("DEV")) == 2
    assert {m["_id"] for m in pair.store().db.issue_map.find()} == set(keys)


def test_restored_older_backup_does_not_duplicate(pair: Pair):
    emu = pair.emu
    keys = escalate_issues(emu, 1)
    pair.cycle()
    store = pair.store()
    backup = {name: list(store.db[name].find()) for name in ("sync_state", "issue_map", "snapshots", "journal")}
    dev_key = emu.issues("DEV")[0]["key"]
    emu.add_comment(keys[0], "customer follow-up", as_account="bob")
    emu.add_comment(dev_key, "dev note", as_account="dan")
    for status in ("In Progress", "In Review", "Done"):
        emu.transition(dev_key, status, as_account="dan")
    pair.cycle()
    after_user, after_dev = _comment_counts(emu, keys[0]), _comment_counts(emu, dev_key)
    for name, docs in backup.items():  # restore the older dump
        store.db[name].delete_many({})
        if docs:
            store.db[name].insert_many(docs)
    pair.cycle()
    pair.cycle()
    assert _comment_counts(emu, keys[0]) == after_user
    assert _comment_counts(emu, dev_key) == after_dev
    assert len(emu.issues("DEV")) == 1 and emu.issue(keys[0])["status"] == "Resolved"


def test_manually_linked_dev_issue_is_adopted(pair: Pair):
    emu = pair.emu
    user = emu.create_issue("USER", summary="Escalated by hand first", as_account="alice")
    manual = emu.create_issue("DEV", summary="Dev ticket a person made", as_account="dan")
    emu.link(user, manual, "Blocks", as_account="alice")
    emu.transition(user, "Will Do", as_account="alice")
    pair.cycle()
    assert [i["key"] for i in emu.issues("DEV")] == [manual], "no second dev issue"
    assert plain(emu.comments(user)[-1]["body"]) == f"Escalated to engineering as {manual}."
    emu.transition(manual, "In Progress", as_account="dan")
    pair.cycle()
    assert emu.issue(user)["status"] == "In Progress"
    assert SOURCE_PROPERTY not in (emu.issue(manual).get("properties") or {})
