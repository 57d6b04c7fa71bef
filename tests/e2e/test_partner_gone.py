"""A dev issue deleted by a person, or a user issue moved to another project, settles its
pair once (audited) instead of failing or acting outside the pair every cycle."""

from __future__ import annotations

from jirasync_cli.emulator import Workflow
from tests.e2e.test_comment_privacy import escalate
from tests.fixtures.pair import Pair
from tests.helpers import plain


def audit(pair: Pair, action: str) -> list[dict]:
    return [e for e in pair.store().recent_audit(200) if e["action"] == action]


def test_a_deleted_dev_issue_is_forgotten_once_and_recreated_only_when_a_rule_fires(pair: Pair):
    emu = pair.emu
    user, dev = escalate(pair)
    emu.delete_issue(dev)
    emu.add_comment(user, "customer: anything new?", as_account="bob")
    report = pair.cycle()
    assert report.errors == [] and report.deferred == []
    assert pair.store().mapping(user) is None
    (entry,) = audit(pair, "partner_gone")
    assert entry["detail"]["dev_key"] == dev and entry["detail"]["gone"] == "deleted"
    for _ in range(2):
        quiet = pair.cycle()
        assert quiet.errors == [] and not quiet.actions
    assert emu.issues("DEV") == []

    emu.transition(user, "In Progress", as_account="alice")
    pair.cycle()
    emu.transition(user, "Will Do", as_account="alice")  # the escalation rule fires again
    assert pair.cycle().errors == []
    (new_dev,) = emu.issues("DEV")
    assert new_dev["key"] != dev and pair.store().mapping(user).dev_key == new_dev["key"]


def test_a_user_issue_moved_out_leaves_the_pair_and_its_dev_issue_is_told_once(pair: Pair):
    emu = pair.emu
    emu.add_project("OTHER", name="Another team", workflow=Workflow.user_default())
    user, dev = escalate(pair)
    moved = emu.move_issue(user, "OTHER", as_account="alice")
    for status in ("In Progress", "In Review", "Done"):  # would move the user issue to Resolved
        emu.transition(dev, status, as_account="dan")
    emu.add_comment(dev, "dev: fixed", as_account="dan")
    report = pair.cycle()
    assert report.errors == []
    assert emu.issue(moved)["status"] != "Resolved"
    assert not [c for c in emu.comments(moved) if "fixed" in plain(c["body"]).lower()]
    notes = [c for c in emu.comments(dev) if "has left the jirasync pair" in plain(c["body"])]
    assert len(notes) == 1 and moved in plain(notes[0]["body"])
    assert pair.store().mapping(user) is None
    (entry,) = audit(pair, "partner_gone")
    assert entry["detail"]["gone"] == "moved" and entry["detail"]["new_key"] == moved

    emu.transition(dev, "To Do", as_account="dan")
    emu.add_comment(dev, "dev: more work", as_account="dan")
    for _ in range(2):
        assert pair.cycle().errors == []
    assert len([c for c in emu.comments(dev) if "has left" in plain(c["body"])]) == 1
    assert not [c for c in emu.comments(moved) if "more work" in plain(c["body"])]
    assert pair.store().mapping(user) is None, "not adopted back through its source property"


def test_a_link_removed_by_a_person_keeps_the_pair(pair: Pair):
    emu = pair.emu
    user, dev = escalate(pair)
    link_id = emu.issue(dev)["links"][0]["id"]
    emu.delete_link(link_id)
    emu.add_comment(dev, "dev: still paired", as_account="dan")
    assert pair.cycle().errors == []
    assert [c for c in emu.comments(user) if "still paired" in plain(c["body"])]
    assert pair.store().mapping(user).dev_key == dev
