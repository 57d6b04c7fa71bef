"""Issues whose ``updated`` moved only because of our own writes are not planned again."""

from __future__ import annotations

from dataclasses import replace

from jirasync_cli.jira.models import LinkData
from jirasync_cli.sync.plan import unchanged_since
from jirasync_cli.sync.records import Mapping, content_hash
from tests.sync.test_plan import BOT, comment, config, issue, plan, snap

LATER = "2026-11-24T11:00:00.000+0000"
PAIR = Mapping("USER-1", "DEV-9", "linked", linked=True)


def after_our_writes():
    """USER-1 and DEV-9 as the cycle after ours sees them: we moved DEV-9 and commented on
    both (recorded in their snapshots as we wrote), so only their ``updated`` is new."""
    cfg = config()
    u = issue(
        "USER-1",
        "Will Do",
        updated=LATER,
        comments=[comment("1", "it fails"), comment("2", "escalated", BOT)],
        links=[LinkData("5", "Relates", "DEV-9")],
    )
    d = issue(
        "DEV-9",
        "In Progress",
        updated=LATER,
        comments=[comment("3", "from the customer", BOT)],
        links=[LinkData("5", "Relates", "USER-1")],
    )
    su = snap(u, "user", cfg, own={"2"})
    sd = snap(d, "dev", own={"3"}, comments={"3": content_hash("as we sent it")})  # Jira reformatted ours
    return cfg, u, d, su, sd


def test_our_own_writes_alone_leave_an_issue_unchanged():
    cfg, u, d, su, sd = after_our_writes()
    assert unchanged_since(u, su, PAIR, cfg) and unchanged_since(d, sd, PAIR, cfg)
    p = plan([u, d], cfg=cfg, snapshots=[su, sd], mappings=[PAIR])
    assert p.units == [] and p.skipped_unchanged == 2  # nothing planned, nothing re-recorded


def test_any_change_of_someone_else_is_planned():
    cfg, u, d, su, sd = after_our_writes()
    changed = [
        replace(u, status="Open"),  # status
        replace(u, summary="Login fails on Safari"),  # a synced field
        replace(u, comments=[*u.comments, comment("4", "any news?")]),  # a new comment
        replace(u, comments=[comment("1", "it fails badly"), u.comments[1]]),  # an edited one
        replace(u, comments=[u.comments[1]]),  # a deleted one
        replace(u, project="OTHER"),  # moved
    ]
    for variant in changed:
        assert not unchanged_since(variant, su, PAIR, cfg), variant
    narrowed = replace(
        u, comments=[comment("1", "it fails", visibility={"type": "role", "value": "Developers"}), u.comments[1]]
    )
    assert not unchanged_since(narrowed, replace(su, mirrors={"1": "77"}), PAIR, cfg)  # a copied one's audience
    assert not unchanged_since(replace(d, links=[]), sd, PAIR, cfg)  # the link to its user issue is gone
    for mapping in (replace(PAIR, state="failed"), replace(PAIR, state="pending")):
        assert not unchanged_since(u, su, mapping, cfg)  # a refused or unresolved create is planned
    assert not unchanged_since(d, replace(sd, status=None), PAIR, cfg)  # first sight: a baseline
    # ... and planned as before: the new comment is mirrored.
    p = plan(
        [replace(u, comments=[*u.comments, comment("4", "any news?")]), d], cfg=cfg, snapshots=[su, sd], mappings=[PAIR]
    )
    assert [a.kind for unit in p.units for a in unit.actions] == ["mirror_comment"]


def test_issues_kept_for_a_retry_are_planned_even_if_unchanged():
    cfg, u, d, su, sd = after_our_writes()
    p = plan([u], cfg=cfg, snapshots=[su], mappings=[PAIR], retry=["USER-1"])
    assert [unit.user_key for unit in p.units] == ["USER-1"]
