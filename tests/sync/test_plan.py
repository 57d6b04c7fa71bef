"""The planner's decisions, without Jira or MongoDB."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from jirasync_cli.config import PairConfig
from jirasync_cli.config.models import SyncPairConfig
from jirasync_cli.jira.models import SOURCE_PROPERTY, CommentData, IssueData, LinkData
from jirasync_cli.sync.actions import (
    AddComment,
    AdoptMapping,
    CreateDevIssue,
    EditDevIssue,
    MirrorComment,
    Note,
    NoteKind,
    TransitionIssue,
    UpdateMirror,
)
from jirasync_cli.sync.plan import PlanInput, fields_hash, plan_cycle
from jirasync_cli.sync.records import Mapping, Snapshot, content_hash
from tests.conftest import pair_config

BOT = "bot-account"


def config(**overrides: Any) -> PairConfig:
    doc = pair_config()
    doc["jira"]["apiToken"] = "t0ken"
    doc.update(overrides)
    return SyncPairConfig.model_validate(doc).to_pair_config()


def issue(
    key: str,
    status: str,
    *,
    updated: str = "2026-11-24T10:00:00.000+0000",
    comments=(),
    links=(),
    labels=(),
    summary="Login fails",
    properties=None,
    issuetype="Bug",
    priority="High",
) -> IssueData:
    return IssueData(
        id=key.split("-")[1],
        key=key,
        project=key.split("-")[0],
        status=status,
        summary=summary,
        description="steps",
        priority=priority,
        labels=tuple(labels),
        issuetype=issuetype,
        created="2026-11-20T10:00:00.000+0000",
        updated=updated,
        comments=list(comments),
        comment_total=len(comments),
        links=list(links),
        properties=properties or {},
    )


def comment(cid: str, text: str, author: str = "alice", **kw: Any) -> CommentData:
    kw.setdefault("internal", False)  # public, as Cloud's jsdPublic says
    return CommentData(
        cid, author, author.title(), text, "2026-11-24T09:00:00.000+0000", "2026-11-24T09:00:00.000+0000", **kw
    )


def snap(i: IssueData, side: str, cfg: PairConfig | None = None, **kw: Any) -> Snapshot:
    s = Snapshot(
        key=i.key,
        side=side,
        status=i.status,
        updated="old",
        project=i.project,
        issuetype=i.issuetype,
        comments={c.id: content_hash(c.body) for c in i.comments},
        fields_hash=fields_hash(i, cfg or config()) if side == "user" else None,
    )
    for k, v in kw.items():
        setattr(s, k, v)
    return s


def plan(issues, *, cfg=None, snapshots=(), mappings=(), initial=False, retry=()):
    cfg = cfg or config()
    return plan_cycle(
        issues, PlanInput(cfg, initial, {s.key: s for s in snapshots}, list(mappings), BOT, frozenset(retry))
    )


def kinds(p) -> list[str]:
    return [a.kind for u in p.units for a in u.actions]


def test_user_issue_reaching_trigger_creates_linked_dev_issue_and_comment():
    u = issue("USER-1", "Will Do", labels=["vip"])
    p = plan([u], snapshots=[snap(u, "user", status="Open")])
    (unit,) = p.units
    create, comment_action = unit.actions
    assert isinstance(create, CreateDevIssue) and create.link and create.issuetype == "Task"
    assert create.fields == {"summary": "Login fails", "description": "steps", "priority": "High", "labels": ["vip"]}
    assert isinstance(comment_action, AddComment) and comment_action.side == "dev"
    assert comment_action.event == "USER-1@0:Will Do"
    assert unit.observed["USER-1"]["status"] == "Will Do" and unit.observed["USER-1"]["version"] == 1


def test_the_dev_issue_type_follows_the_issue_types_table_else_dev_issue_type():
    cfg = config(mappings={"issueTypes": {"Bug": "Story"}})
    bug = issue("USER-1", "Will Do", issuetype="Bug")
    (create, _comment) = plan([bug], cfg=cfg, snapshots=[snap(bug, "user", status="Open")]).units[0].actions
    assert isinstance(create, CreateDevIssue) and create.issuetype == "Story"
    task = issue("USER-2", "Will Do", issuetype="Task")
    (create, _comment) = plan([task], cfg=cfg, snapshots=[snap(task, "user", status="Open")]).units[0].actions
    assert isinstance(create, CreateDevIssue) and create.issuetype == "Task"


def test_unchanged_status_plans_nothing_and_same_updated_is_skipped():
    u = issue("USER-1", "Will Do")
    assert kinds(plan([u], snapshots=[snap(u, "user")])) == []
    p = plan([u], snapshots=[snap(u, "user", updated=u.updated)])
    assert p.units == [] and p.skipped_unchanged == 1
    # ...unless it is being retried
    assert len(plan([u], snapshots=[snap(u, "user", updated=u.updated, status="Open")], retry=["USER-1"]).units) == 1


def test_initial_sync_acts_on_issues_already_in_status_unless_rule_opts_out():
    u = issue("USER-1", "Will Do")
    assert kinds(plan([u], initial=True)) == ["create_issue", "comment"]
    doc = pair_config()
    doc["rules"][0]["onInitialSync"] = False
    cfg = config(rules=doc["rules"])
    assert kinds(plan([u], cfg=cfg, initial=True)) == []
    assert kinds(plan([u], cfg=cfg, initial=False)) == ["create_issue", "comment"]


def test_existing_mapping_means_no_second_create():
    u = issue("USER-1", "Will Do")
    m = Mapping("USER-1", "DEV-9", "linked", linked=True)
    p = plan([u], snapshots=[snap(u, "user", status="Open")], mappings=[m])
    assert kinds(p) == ["comment"]


def test_refused_create_is_planned_again_only_once_the_user_issue_changes():
    u = issue("USER-1", "Will Do")
    failed = Mapping("USER-1", None, "failed", error="no summary on the screen", failed_updated=u.updated)
    p = plan([u], snapshots=[snap(u, "user", status="Open")], mappings=[failed], retry=["USER-1"])
    assert kinds(p) == [] and p.units[0].observed == {} and p.units[0].notes == []  # nothing to write
    edited = issue("USER-1", "Will Do", updated="2026-11-24T11:00:00.000+0000")
    p = plan([edited], snapshots=[snap(u, "user", status="Open")], mappings=[failed])
    assert kinds(p) == ["create_issue", "comment"]


def test_pending_create_is_planned_again_for_the_applier_to_resolve():
    u = issue("USER-1", "Will Do")
    m = Mapping("USER-1", None, "pending", intent_id="create:x")
    p = plan([u], snapshots=[snap(u, "user", status="Open")], mappings=[m])
    assert kinds(p) == ["create_issue", "comment"]  # same intent id: found, or deferred, never doubled


def test_dev_done_moves_user_issue_per_rule():
    d = issue("DEV-9", "Done", links=[LinkData("1", "Relates", "USER-1")])
    m = Mapping("USER-1", "DEV-9", "linked", linked=True)
    user_snap = Snapshot("USER-1", "user", status="Will Do", project="USER", issuetype="Bug")
    p = plan([d], snapshots=[snap(d, "dev", status="In Progress", version=3), user_snap], mappings=[m])
    (action,) = p.units[0].actions
    assert isinstance(action, TransitionIssue)
    assert (action.side, action.target_status, action.current_status, action.project) == (
        "user",
        "Resolved",
        "Will Do",
        "USER",
    )
    assert action.event == "DEV-9@3:Done"


def test_first_sight_of_dev_issue_is_a_baseline():
    d = issue("DEV-9", "Done", comments=[comment("1", "hi")])
    m = Mapping("USER-1", "DEV-9", "linked")
    p = plan([d], mappings=[m])
    assert kinds(p) == []
    assert p.units[0].observed["DEV-9"]["status"] == "Done"


def test_rule_priority_and_catch_all():
    rules = [
        {
            "id": "any",
            "sourceStatus": "*",
            "syncDirection": "both",
            "priority": 100,
            "actions": {"addComment": True, "commentTemplate": "${sourceKey} is ${sourceStatus}"},
        },
        {
            "id": "done",
            "sourceStatus": "done",
            "targetStatus": "Resolved",
            "syncDirection": "dev_to_user",
            "priority": 1,
            "actions": {"syncStatus": True},
        },
        {
            "id": "off",
            "sourceStatus": "Done",
            "syncDirection": "dev_to_user",
            "priority": 0,
            "enabled": False,
            "actions": {"addComment": True, "commentTemplate": "never"},
        },
    ]
    cfg = config(rules=rules)
    m = Mapping("USER-1", "DEV-9", "linked")
    d = issue("DEV-9", "Done")
    p = plan([d], cfg=cfg, snapshots=[snap(d, "dev", status="In Progress")], mappings=[m])
    assert [a.rule_id for a in p.units[0].actions] == ["done"]  # case-insensitive, lowest priority first
    d2 = issue("DEV-9", "In Review")
    p = plan([d2], cfg=cfg, snapshots=[snap(d2, "dev", status="In Progress")], mappings=[m])
    assert [(a.rule_id, a.side) for a in p.units[0].actions] == [("any", "user")]


def test_unmatched_change_is_reported_unhandled():
    u = issue("USER-1", "Waiting for Customer")
    p = plan([u], snapshots=[snap(u, "user", status="Open")])
    (note,) = p.units[0].notes
    assert kinds(p) == [] and note.kind is NoteKind.UNHANDLED
    assert note.text.startswith("unhandled: USER-1 is now 'Waiting for Customer'")


def test_conditions_filter_rules():
    doc = pair_config()
    doc["rules"][0]["conditions"] = {"issueTypes": ["Bug"], "excludeLabels": ["duplicate"]}
    cfg = config(rules=doc["rules"])
    ok = issue("USER-1", "Will Do")
    dup = issue("USER-2", "Will Do", labels=["Duplicate"])
    story = issue("USER-3", "Will Do", issuetype="Story")
    p = plan([ok, dup, story], cfg=cfg, initial=True)
    assert {u.user_key: [a.kind for a in u.actions] for u in p.units} == {
        "USER-1": ["create_issue", "comment"],
        "USER-2": [],
        "USER-3": [],
    }


def test_comment_mirroring_both_ways_without_echo():
    m = Mapping("USER-1", "DEV-9", "linked", linked=True)
    new_user = comment("10", "customer says hi", author="bob")
    ours_on_user = comment("11", "Dan wrote: fixed", author=BOT)
    u = issue("USER-1", "Will Do", comments=[new_user, ours_on_user])
    new_dev = comment("20", "dev note", author="dan")
    d = issue("DEV-9", "In Progress", comments=[new_dev, comment("21", "mirrored", author=BOT)])
    snaps = [snap(u, "user", comments={}, own={"11"}), snap(d, "dev", comments={}, own={"21"})]
    p = plan([u, d], snapshots=snaps, mappings=[m])
    mirrors = [a for a in p.units[0].actions if isinstance(a, MirrorComment)]
    assert [(a.side, a.source_key, a.comment.id) for a in mirrors] == [("dev", "USER-1", "10"), ("user", "DEV-9", "20")]


def test_comment_by_sync_account_not_mirrored_and_edits_update_mirror():
    m = Mapping("USER-1", "DEV-9", "linked")
    edited = comment("10", "edited text")
    by_bot = comment("12", "automation", author=BOT)
    u = issue("USER-1", "Open", comments=[edited, by_bot])
    s = snap(u, "user", comments={"10": content_hash("original")}, mirrors={"10": "77"})
    p = plan([u], snapshots=[s], mappings=[m])
    (action,) = p.units[0].actions
    assert isinstance(action, UpdateMirror) and action.mirror_id == "77"


def test_comment_direction_switches():
    doc = pair_config(commentSync={"devToUser": False})
    cfg = config(commentSync=doc["commentSync"])
    m = Mapping("USER-1", "DEV-9", "linked")
    d = issue("DEV-9", "To Do", comments=[comment("20", "internal")])
    assert kinds(plan([d], cfg=cfg, snapshots=[snap(d, "dev", comments={})], mappings=[m])) == []


def test_user_field_edits_update_dev_copy():
    m = Mapping("USER-1", "DEV-9", "linked")
    u = issue("USER-1", "Will Do", summary="New title")
    s = snap(issue("USER-1", "Will Do", summary="Old title"), "user")
    (action,) = plan([u], snapshots=[s], mappings=[m]).units[0].actions
    assert isinstance(action, EditDevIssue)
    assert action.fields["summary"] == "New title" and set(action.fields) == {
        "summary",
        "description",
        "priority",
        "labels",
    }


def test_lost_mapping_is_adopted_from_the_source_property():
    d = issue(
        "DEV-9",
        "In Progress",
        properties={SOURCE_PROPERTY: {"pair": "sync-ab", "userKey": "USER-1"}},
        links=[LinkData("5", "Relates", "USER-1")],
    )
    stranger = issue("DEV-10", "Done", properties={SOURCE_PROPERTY: {"pair": "other-pair", "userKey": "USER-2"}})
    p = plan([d, stranger])
    (unit,) = p.units
    assert isinstance(unit.actions[0], AdoptMapping) and unit.user_key == "USER-1"
    assert p.ignored == ["DEV-10"]


def test_cross_link_added_when_missing():
    rules = [
        {"id": "link", "sourceStatus": "Will Do", "syncDirection": "user_to_dev", "actions": {"addCrossLink": True}}
    ]
    cfg = config(rules=rules)
    m = Mapping("USER-1", "DEV-9", "linked", linked=False)
    u = issue("USER-1", "Will Do")
    assert kinds(plan([u], cfg=cfg, snapshots=[snap(u, "user", status="Open")], mappings=[m])) == ["link"]
    linked = issue("USER-1", "Will Do", links=[LinkData("1", "Relates", "DEV-9")])
    assert kinds(plan([linked], cfg=cfg, snapshots=[snap(u, "user", status="Open")], mappings=[m])) == []


def test_status_sync_to_issue_created_in_same_unit():
    rules = [
        {
            "id": "go",
            "sourceStatus": "Will Do",
            "targetStatus": "In Progress",
            "syncDirection": "user_to_dev",
            "actions": {"createIssue": True, "syncStatus": True},
        }
    ]
    u = issue("USER-1", "Will Do")
    p = plan([u], cfg=config(rules=rules), snapshots=[snap(u, "user", status="Open")])
    create, move = p.units[0].actions
    assert isinstance(move, TransitionIssue) and move.side == "dev" and move.current_status is None


@pytest.mark.parametrize("on,side", [("source", "user"), ("target", "dev"), ("user", "user"), ("dev", "dev")])
def test_comment_on(on, side):
    doc = pair_config()
    doc["rules"][0]["actions"]["commentOn"] = on
    u = issue("USER-1", "Will Do")
    p = plan([u], cfg=config(rules=doc["rules"]), snapshots=[snap(u, "user", status="Open")])
    assert [a.side for a in p.units[0].actions if isinstance(a, AddComment)] == [side]


@pytest.mark.parametrize("on", ["source", "target", "user", "dev"])
@pytest.mark.parametrize("partner", [True, False])
def test_comment_on_without_create(on, partner):
    """Without a partner only the changed (user) issue can take the comment; the applier
    must be able to post every comment planned here (see tests/e2e/test_cycle.py)."""
    rules = [
        {
            "id": "ack",
            "sourceStatus": "Will Do",
            "syncDirection": "user_to_dev",
            "actions": {"addComment": True, "commentOn": on, "commentTemplate": "Seen ${sourceKey}."},
        }
    ]
    u = issue("USER-1", "Will Do")
    mappings = [Mapping("USER-1", "DEV-1", "linked", linked=True)] if partner else []
    p = plan([u], cfg=config(rules=rules), snapshots=[snap(u, "user", status="Open")], mappings=mappings)
    (unit,) = p.units
    sides = [a.side for a in unit.actions if isinstance(a, AddComment)]
    expected = {"source": "user", "user": "user", "target": "dev", "dev": "dev"}[on]
    if partner or expected == "user":
        assert sides == [expected] and not unit.notes
    else:
        assert sides == [] and unit.notes == [
            Note(NoteKind.NO_PARTNER, "rule ack: USER-1 has no partner issue to comment on")
        ]


def test_a_comment_naming_the_partner_waits_for_one():
    rules = [
        {
            "id": "ack",
            "sourceStatus": "Will Do",
            "syncDirection": "user_to_dev",
            "actions": {"addComment": True, "commentOn": "source", "commentTemplate": "Tracked in ${targetKey}."},
        }
    ]
    u = issue("USER-1", "Will Do")
    p = plan([u], cfg=config(rules=rules), snapshots=[snap(u, "user", status="Open")])
    assert kinds(p) == [] and "names the partner issue" in p.units[0].notes[0].text


def test_issues_of_other_projects_and_unmapped_dev_issues_are_ignored():
    p = plan([issue("OTHER-1", "Open"), issue("DEV-3", "Done")])
    assert p.units == [] and sorted(p.ignored) == ["DEV-3", "OTHER-1"]


def test_manually_linked_dev_issue_is_adopted_instead_of_a_second_one():
    u = issue("USER-1", "Will Do", links=[LinkData("7", "Blocks", "DEV-5"), LinkData("8", "Relates", "OTHER-2")])
    p = plan([u], snapshots=[snap(u, "user", status="Open")])
    adopt, comment_action = p.units[0].actions
    assert isinstance(adopt, AdoptMapping) and (adopt.dev_key, adopt.reason, adopt.linked) == ("DEV-5", "link", True)
    assert isinstance(comment_action, AddComment) and p.units[0].dev_key == "DEV-5"
    # ...unless that dev issue already belongs to another user issue.
    taken = Mapping("USER-2", "DEV-5", "linked")
    assert kinds(plan([u], snapshots=[snap(u, "user", status="Open")], mappings=[taken]))[:1] == ["create_issue"]


def test_comments_are_verified_in_jira_when_state_is_older_than_jira():
    m = Mapping("USER-1", "DEV-9", "linked")
    new = comment("10", "customer text", author="bob")
    u = issue("USER-1", "Will Do", comments=[new])
    unknown_ours = comment("30", "Bob Lindqvist wrote: customer text", author=BOT)
    d = issue("DEV-9", "To Do", comments=[unknown_ours])
    snaps = [snap(u, "user", comments={}), snap(d, "dev", comments={})]
    (mirror,) = [a for a in plan([u, d], snapshots=snaps, mappings=[m]).units[0].actions]
    assert isinstance(mirror, MirrorComment) and mirror.verify
    snaps[1] = snap(d, "dev", comments={}, own={"30"})  # known: no lookup needed
    (mirror,) = plan([u, d], snapshots=snaps, mappings=[m]).units[0].actions
    assert not mirror.verify


def test_a_linked_dev_issue_whose_link_is_gone_checks_its_user_issue_first():
    d = issue("DEV-9", "Done", links=[LinkData("1", "Relates", "OTHER-4")])  # Jira shows a moved issue's new key
    m = Mapping("USER-1", "DEV-9", "linked", linked=True)
    user_snap = Snapshot("USER-1", "user", status="Will Do", project="USER", issuetype="Bug")
    p = plan([d], snapshots=[snap(d, "dev", status="In Progress", version=3), user_snap], mappings=[m])
    assert kinds(p)[:2] == ["check_user_issue", "transition"]


def test_the_planner_changes_none_of_its_input():
    """The same input plans the same again: dev issues adopted by a person's link and by
    their source property, a linked pair with a status change and a comment to mirror."""
    m = Mapping("USER-3", "DEV-9", "linked", linked=True)
    u1 = issue("USER-1", "Will Do", links=[LinkData("7", "Blocks", "DEV-5")])
    d5 = issue("DEV-5", "To Do")
    lost = issue("DEV-6", "Done", properties={SOURCE_PROPERTY: {"pair": config().name, "userKey": "USER-2"}})
    u3 = issue("USER-3", "Will Do", comments=[comment("1", "hi", author="bob")], summary="changed")
    d9 = issue("DEV-9", "Done")
    snaps = [snap(u1, "user", status="Open"), snap(u3, "user", comments={}), snap(d9, "dev", status="To Do")]
    data = PlanInput(config(), False, {s.key: s for s in snaps}, [m], BOT, frozenset({"USER-1"}))
    before = copy.deepcopy(data)
    first = plan_cycle([u1, d5, lost, u3, d9, issue("OTHER-1", "Open")], data)
    assert data == before
    assert {u.user_key: [a.kind for a in u.actions] for u in first.units} == {
        "USER-1": ["adopt_mapping", "comment"],
        "USER-2": ["adopt_mapping"],
        "USER-3": ["transition", "mirror_comment"],
    }
    again = plan_cycle([u1, d5, lost, u3, d9, issue("OTHER-1", "Open")], data)
    assert again == first


def test_full_sync_takes_a_user_issue_of_a_pair_rebuilt_from_its_dev_issue_as_baseline():
    # The streamed full sync reads dev issues first: a pair rebuilt there from the source
    # property reaches the user page with a mapping but no user snapshot. Its status now
    # is the baseline (as when both were planned together), not a trigger to act on again.
    u = issue("USER-1", "Will Do", comments=[comment("1", "escalated as DEV-9", author=BOT)])
    adopted = Mapping("USER-1", "DEV-9", "linked", linked=True, adopted=True)
    p = plan([u], mappings=[adopted], initial=True, snapshots=[snap(issue("DEV-9", "Open"), "dev")])
    (unit,) = p.units
    assert unit.actions == [] and unit.observed["USER-1"]["status"] == "Will Do"
    # A pair we created ourselves whose user snapshot is missing still acts (verifying first).
    created = Mapping("USER-1", "DEV-9", "linked", linked=True)
    assert kinds(plan([u], mappings=[created], initial=True, snapshots=[snap(issue("DEV-9", "Open"), "dev")]))
    # In an incremental cycle a user issue first seen after an adoption is a change to act on.
    assert kinds(plan([u], mappings=[adopted], snapshots=[snap(issue("DEV-9", "Open"), "dev")]))
