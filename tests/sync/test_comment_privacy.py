"""Comment privacy in the planner: restricted comments and internal notes never travel wider."""

from __future__ import annotations

from typing import Any

import pytest

from jirasync_cli.jira.models import CommentData, LinkData
from jirasync_cli.sync.actions import (
    AddComment,
    DeleteMirror,
    MirrorComment,
    NoteKind,
    Restriction,
    UpdateMirror,
)
from jirasync_cli.sync.plan import UnitPlan
from jirasync_cli.sync.records import Mapping, content_hash
from tests.sync.test_plan import comment, config, issue, plan, snap

ROLE = {"type": "role", "value": "Developers"}
GROUP = {"type": "group", "value": "developers"}


def linked_pair(
    dev_comments: list[CommentData],
    *,
    seen: dict[str, str] | None = None,
    mirrors: dict[str, str] | None = None,
    restricted: dict[str, str] | None = None,
    user_comments: list[CommentData] = (),
    **overrides: Any,
):
    m = Mapping("USER-1", "DEV-9", "linked", linked=True)
    u = issue("USER-1", "Will Do", comments=list(user_comments))
    d = issue("DEV-9", "In Progress", comments=dev_comments, links=[LinkData("1", "Relates", "USER-1")])
    snaps = [
        snap(u, "user", comments={}),
        snap(d, "dev", comments=seen or {}, mirrors=mirrors or {}, restricted=restricted or {}),
    ]
    units = plan([u, d], snapshots=snaps, mappings=[m], cfg=config(**overrides)).units
    return units[0] if units else UnitPlan("USER-1", "DEV-9", m)  # nothing new on either side: no unit


def kinds(unit, cls):
    return [a for a in unit.actions if isinstance(a, cls)]


@pytest.mark.parametrize(
    "private",
    [
        {"visibility": ROLE},
        {"visibility": GROUP},
        {"internal": True},
        {"internal": None},  # Data Center, flag not learnt: counts as private
    ],
)
def test_restricted_and_internal_comments_are_never_copied_by_default(private):
    unit = linked_pair(
        [comment("20", "secret root cause", author="dan", **private), comment("21", "public note", author="dan")]
    )
    assert [(a.comment.id, a.side) for a in kinds(unit, MirrorComment)] == [("21", "user")]
    assert any(n.kind is NoteKind.WITHHELD and n.text.startswith("withheld: comment 20 on DEV-9") for n in unit.notes)
    observed = unit.observed["DEV-9"]["restricted"]
    assert "20" in observed and "21" not in observed


def test_copies_on_the_customer_side_are_internal_notes_unless_the_pair_opts_in():
    unit = linked_pair([comment("21", "public note", author="dan")])
    assert kinds(unit, MirrorComment)[0].restriction == Restriction(None, internal=True)
    unit = linked_pair([comment("21", "public note", author="dan")], commentSync={"customerVisibility": "public"})
    assert kinds(unit, MirrorComment)[0].restriction == Restriction(None, internal=False)


def test_customer_comments_copied_to_dev_are_plain_and_user_internal_notes_stay():
    m = Mapping("USER-1", "DEV-9", "linked", linked=True)
    u = issue(
        "USER-1",
        "Will Do",
        comments=[comment("10", "customer", author="bob"), comment("11", "agents only", author="alice", internal=True)],
    )
    d = issue("DEV-9", "In Progress")
    p = plan([u, d], snapshots=[snap(u, "user", comments={}), snap(d, "dev")], mappings=[m]).units[0]
    assert [(a.comment.id, a.side, a.restriction) for a in kinds(p, MirrorComment)] == [
        ("10", "dev", Restriction(None, internal=False))
    ]


def test_opt_in_copies_keep_the_restriction_and_stay_internal():
    unit = linked_pair(
        [comment("20", "for devs", author="dan", visibility=ROLE), comment("22", "note", author="dan", internal=None)],
        commentSync={"restrictedComments": "mirror", "customerVisibility": "public"},
    )
    # Known restrictions travel; an unknown internal flag never does, even when opted in.
    assert [(a.comment.id, a.restriction) for a in kinds(unit, MirrorComment)] == [
        ("20", Restriction(ROLE, internal=False))
    ]


def test_an_original_made_restricted_after_mirroring_loses_its_copy():
    body = "was public"
    unit = linked_pair(
        [comment("20", body, author="dan", visibility=GROUP)], seen={"20": content_hash(body)}, mirrors={"20": "900"}
    )
    assert [(a.mirror_id, a.reason, a.side) for a in kinds(unit, DeleteMirror)] == [("900", "restricted", "user")]
    assert not kinds(unit, MirrorComment) and not kinds(unit, UpdateMirror)


def test_a_deleted_original_loses_its_copy():
    unit = linked_pair([], seen={"20": content_hash("x")}, mirrors={"20": "900"})
    assert [(a.comment_id, a.mirror_id, a.reason) for a in kinds(unit, DeleteMirror)] == [("20", "900", "deleted")]


def test_a_withheld_comment_made_public_is_copied_then():
    body = "now public"
    unit = linked_pair(
        [comment("20", body, author="dan")], seen={"20": content_hash(body)}, restricted={"20": "role:Developers"}
    )
    assert [a.comment.id for a in kinds(unit, MirrorComment)] == ["20"]


def test_a_withheld_comment_is_noted_once_not_every_cycle():
    body = "secret"
    unit = linked_pair(
        [comment("20", body, author="dan", visibility=ROLE)],
        seen={"20": content_hash(body)},
        restricted={"20": "role:Developers"},
    )
    assert not unit.actions and not [n for n in unit.notes if n.kind is NoteKind.WITHHELD]


def test_an_edit_of_a_restricted_original_updates_nothing_and_privacy_changes_follow_in_opt_in_mode():
    unit = linked_pair(
        [comment("20", "edited", author="dan", visibility=ROLE)],
        seen={"20": content_hash("old")},
        restricted={"20": "role:Developers"},
    )
    assert not kinds(unit, UpdateMirror) and not kinds(unit, MirrorComment)
    unit = linked_pair(
        [comment("20", "same", author="dan", visibility=ROLE)],
        seen={"20": content_hash("same")},
        mirrors={"20": "900"},
        commentSync={"restrictedComments": "mirror"},
    )
    update = kinds(unit, UpdateMirror)[0]
    assert update.restrict and update.restriction == Restriction(ROLE, internal=True)


def test_template_comments_on_the_user_side_are_internal_unless_the_rule_says_public():
    def template_actions(comment_public: bool):
        rules = [
            {
                "id": "done",
                "sourceStatus": "Done",
                "syncDirection": "dev_to_user",
                "actions": {
                    "addComment": True,
                    "commentTemplate": "Fixed in ${sourceKey}",
                    "commentPublic": comment_public,
                },
            },
            {
                "id": "esc",
                "sourceStatus": "Will Do",
                "syncDirection": "user_to_dev",
                "actions": {"addComment": True, "commentTemplate": "Escalated"},
            },
        ]
        m = Mapping("USER-1", "DEV-9", "linked", linked=True)
        u, d = issue("USER-1", "Will Do"), issue("DEV-9", "Done")
        snaps = [snap(u, "user"), snap(d, "dev")]
        snaps[0].status, snaps[1].status = "Open", "In Progress"
        return kinds(plan([u, d], snapshots=snaps, mappings=[m], cfg=config(rules=rules)).units[0], AddComment)

    assert sorted((a.side, a.internal) for a in template_actions(False)) == [("dev", False), ("user", True)]
    assert sorted((a.side, a.internal) for a in template_actions(True)) == [("dev", False), ("user", False)]
