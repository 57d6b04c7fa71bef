"""The planner: issues seen this cycle + stored state + rules → actions per issue pair (pure).

A *unit* is one user issue and its dev partner. The planner looks only at issues whose
``updated`` differs from their snapshot (or that must be retried), detects status changes
against the snapshot (so each change is acted on once), picks the first matching rule,
and adds comment mirroring and field sync for linked pairs. Everything it needs is passed
in; it performs no I/O, so every decision is unit-tested without Jira or MongoDB.

Each status change is an *event* named ``KEY@version:Status``; intents for its actions
carry that name, so a re-run after a crash finds the intent and does not write twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from jirasync_cli.jira.models import SOURCE_PROPERTY, CommentData, IssueData
from jirasync_cli.sync.actions import (
    DEV,
    USER,
    Action,
    AddComment,
    AdoptMapping,
    CheckUserIssue,
    CreateDevIssue,
    DeleteMirror,
    EditDevIssue,
    LinkIssues,
    MirrorComment,
    Note,
    NoteKind,
    Restriction,
    TransitionIssue,
    UpdateMirror,
    other,
)
from jirasync_cli.sync.mapping import dev_issue_type
from jirasync_cli.sync.records import Mapping, Snapshot, content_hash
from jirasync_cli.sync.rules import match_rule, status_on

if TYPE_CHECKING:
    from jirasync_cli.config import PairConfig, Rule


@dataclass
class UnitPlan:
    user_key: str
    dev_key: str | None
    mapping: Mapping | None
    user: IssueData | None = None
    dev: IssueData | None = None
    actions: list[Action] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    # Snapshot fields to store once every action succeeded: {issue key: {field: value}}
    observed: dict[str, dict[str, Any]] = field(default_factory=dict)

    def key_of(self, side: str) -> str | None:
        return self.user_key if side == USER else self.dev_key

    @property
    def keys(self) -> list[str]:
        return [k for k in (self.user_key, self.dev_key) if k]


@dataclass(frozen=True)
class PlanInput:
    """Everything the planner reads besides the issues; it changes none of it."""

    config: PairConfig
    initial: bool  # the initial full sync (rules with onInitialSync=false sit it out)
    snapshots: dict[str, Snapshot]
    mappings: list[Mapping]
    sync_account: str  # our own Jira account id: its comments are never mirrored back
    retry_keys: frozenset[str] = frozenset()
    dev_account: str | None = None  # our account on the dev site, where that is another site

    def account(self, side: str) -> str:
        """Our account on the site of ``side``: each site of a cross-site pair has its own bot."""
        return self.dev_account if side == DEV and self.dev_account is not None else self.sync_account


@dataclass(frozen=True)
class _Context(PlanInput):
    """The input and what plan_cycle learnt from the issues: dev keys that have a partner,
    and this cycle's dev issues that have none (candidates for adoption by link)."""

    mapped_dev_keys: frozenset[str] = frozenset()
    unmapped_dev: dict[str, IssueData] = field(default_factory=dict)


@dataclass
class CyclePlan:
    units: list[UnitPlan]
    skipped_unchanged: int
    ignored: list[str]  # dev issues with no partner, issues of other projects


def fields_hash(issue: IssueData, config: PairConfig) -> str:
    wanted = config.field_sync.fields
    return content_hash({k: v for k, v in issue.synced_fields().items() if k in wanted})


def dev_fields(issue: IssueData, config: PairConfig, *, creating: bool) -> dict[str, Any]:
    """Fields copied to the dev issue: all on create, the configured ones on edit."""
    values = issue.synced_fields()
    if creating:
        return {k: v for k, v in values.items() if v not in (None, "", [])}
    return {k: v for k, v in values.items() if k in config.field_sync.fields}


def observed_snapshot(issue: IssueData, side: str, snap: Snapshot | None, config: PairConfig) -> dict[str, Any]:
    changed = snap is None or snap.status != issue.status
    return {
        "side": side,
        "status": issue.status,
        "version": (snap.version if snap else 0) + (1 if changed else 0),
        "updated": issue.updated,
        "project": issue.project,
        "issuetype": issue.issuetype,
        "comments": {c.id: content_hash(c.body) for c in issue.comments},
        "restricted": _restricted_comments(issue, snap),
        **({"fields_hash": fields_hash(issue, config)} if side == USER else {}),
    }


def _restricted_comments(issue: IssueData, snap: Snapshot | None) -> dict[str, str]:
    """Privacy of the comments the sync withheld or copied: those it must watch for a change
    of audience. Comments from before it watched the issue (its baseline) stay out, so a
    baseline comment made public later is not copied as if it had been withheld."""
    if snap is None:
        return {}
    return {
        c.id: privacy
        for c in issue.comments
        if (privacy := c.privacy)
        and c.id not in snap.own
        and (c.id not in snap.comments or c.id in snap.restricted or c.id in snap.mirrors)
    }


def plan_cycle(issues: Iterable[IssueData], data: PlanInput) -> CyclePlan:
    config = data.config
    by_user = {m.user_key: m for m in data.mappings}
    by_dev = {m.dev_key: m for m in data.mappings if m.dev_key}
    units: dict[str, UnitPlan] = {}
    skipped = 0
    ignored: list[str] = []
    seen: set[str] = set()
    unmapped_dev: dict[str, IssueData] = {}
    baseline: set[str] = set()  # units only observed, not acted on

    for issue in issues:
        if issue.key in seen:
            continue
        seen.add(issue.key)
        snap = data.snapshots.get(issue.key)
        if (
            snap is not None
            and issue.key not in data.retry_keys
            and (
                snap.updated == issue.updated
                or unchanged_since(issue, snap, _mapping_of(issue, by_user, by_dev), config)
            )
        ):
            skipped += 1
            continue
        if issue.project == config.user_project_key:
            mapping = by_user.get(issue.key)
            unit = units.setdefault(issue.key, UnitPlan(issue.key, mapping.dev_key if mapping else None, mapping))
            unit.user = issue
            if data.initial and snap is None and mapping is not None and mapping.adopted:
                # A full sync that rebuilt this pair from the dev issue (an earlier page, or
                # the same one): the user issue's state now is its baseline, as the dev's is.
                baseline.add(issue.key)
        elif issue.project == config.dev_project_key:
            mapping = by_dev.get(issue.key)
            if mapping is None:
                source = _source_of(issue, config)
                if source is None or source in by_user:
                    ignored.append(issue.key)
                    unmapped_dev[issue.key] = issue
                    continue
                # Our own dev issue whose mapping was lost: adopt it, act on nothing yet.
                linked = any(link.other_key == source for link in issue.links)
                mapping = Mapping(source, issue.key, "linked", linked=linked)
                by_user[source] = by_dev[issue.key] = mapping
                unit = units.setdefault(source, UnitPlan(source, issue.key, None))
                unit.actions.append(AdoptMapping(issue.key, linked, "property"))
                unit.dev_key, unit.dev = issue.key, issue
                unit.observed[issue.key] = observed_snapshot(issue, DEV, snap, config)
                continue
            unit = units.setdefault(mapping.user_key, UnitPlan(mapping.user_key, mapping.dev_key, mapping))
            unit.dev = issue
        else:
            ignored.append(issue.key)

    context = _Context(
        **{f.name: getattr(data, f.name) for f in fields(PlanInput)},
        mapped_dev_keys=frozenset(by_dev),
        unmapped_dev=unmapped_dev,
    )
    for unit in units.values():
        if unit.user_key in baseline:
            for side, seen_issue in ((USER, unit.user), (DEV, unit.dev)):
                if seen_issue is not None:
                    unit.observed[seen_issue.key] = observed_snapshot(
                        seen_issue, side, data.snapshots.get(seen_issue.key), config
                    )
            continue
        if unit.actions and isinstance(unit.actions[0], AdoptMapping):
            if unit.user is not None:  # baseline the user side too
                unit.observed[unit.user_key] = observed_snapshot(
                    unit.user, USER, data.snapshots.get(unit.user_key), config
                )
            continue
        _plan_unit(unit, context)
    return CyclePlan(list(units.values()), skipped, ignored)


def _mapping_of(issue: IssueData, by_user: dict[str, Mapping], by_dev: dict[str, Mapping]) -> Mapping | None:
    return by_user.get(issue.key) or by_dev.get(issue.key)


def unchanged_since(issue: IssueData, snap: Snapshot, mapping: Mapping | None, config: PairConfig) -> bool:
    """Whether ``issue`` holds nothing new for the sync although its ``updated`` moved: what
    our own writes leave behind (a status we set, comments we wrote, a link we added), or a
    change to something the sync does not look at.

    Compared with the snapshot, which records our writes as they happen: status, project
    and issue type, every comment (ours by id: Jira may reformat what we sent; the rest by
    body and audience) and, for user issues, the synced fields. Issues whose pair is being
    created, was refused, or lost its link are always planned.
    """
    if snap.status is None or (snap.status, snap.project, snap.issuetype) != (
        issue.status,
        issue.project,
        issue.issuetype,
    ):
        return False
    if mapping is not None:
        if mapping.state != "linked":
            return False
        if (
            issue.key == mapping.dev_key
            and mapping.linked
            and not config.cross_site
            and not any(link.other_key == mapping.user_key for link in issue.links)
        ):
            return False  # the link to the user issue is gone: planned (it is checked)
    if issue.project == config.user_project_key and snap.fields_hash != fields_hash(issue, config):
        return False
    if not issue.comments_complete:
        return False
    others = {c.id: c for c in issue.comments if c.id not in snap.own}
    if set(others) != set(snap.comments) - snap.own:
        return False  # a comment added or deleted (ours are not compared: Jira may reformat them)
    if any(snap.comments[i] != content_hash(c.body) for i, c in others.items()):
        return False
    return _restricted_comments(issue, snap) == snap.restricted


def unrecorded_own_dev_issues(issues: Iterable[IssueData], data: PlanInput) -> list[IssueData]:
    """Paired dev issues we created whose snapshot is missing (a crash between writes)."""
    mapped = {m.dev_key for m in data.mappings if m.dev_key and m.state == "linked"}
    return [
        i
        for i in issues
        if i.project == data.config.dev_project_key
        and i.key in mapped
        and i.key not in data.snapshots
        and _source_of(i, data.config) is not None
    ]


def presumed_snapshot(issue: IssueData, initial_status: str) -> Snapshot:
    """How a dev issue we created looked at birth: its start status, no comments seen yet."""
    return Snapshot(issue.key, DEV, status=initial_status, project=issue.project, issuetype=issue.issuetype)


def _source_of(issue: IssueData, config: PairConfig) -> str | None:
    source = issue.properties.get(SOURCE_PROPERTY)
    if isinstance(source, dict) and source.get("pair") == config.name and not source.get("left"):
        key = source.get("userKey")
        if isinstance(key, str) and key.startswith(config.user_project_key + "-"):
            return key
    return None


def _plan_unit(unit: UnitPlan, data: _Context) -> None:
    config = data.config
    mapping = unit.mapping
    # A pending mapping is a create from an earlier cycle whose outcome recovery could not
    # tell yet (an unlinked create waits for search to catch up). The rule plans the create
    # again: the applier finds the recorded intent and resolves it (found: carry on with the
    # issue; unknown: the unit is deferred, so the issue is fetched again next cycle and is
    # not forgotten once recovery decides the create never happened).
    if mapping is not None and mapping.state == "failed":
        if unit.user is None or unit.user.updated == mapping.failed_updated:
            return  # Jira refused the create and nothing changed since: said once, not every cycle
        # The user issue changed (perhaps because someone fixed the cause): plan the create again.
    creating = False
    linked_pair = mapping is not None and mapping.dev_key is not None
    # (Across sites the partners are linked by remote links, which the search does not
    # show: the mapping says they are in place.)
    if (
        mapping is not None
        and mapping.linked
        and unit.user is None
        and unit.dev is not None
        and not config.cross_site
        and not any(link.other_key == unit.user_key for link in unit.dev.links)
    ):
        unit.actions.append(CheckUserIssue(unit.user_key))

    for side in (USER, DEV):
        issue = unit.user if side == USER else unit.dev
        if issue is None:
            continue
        snap = data.snapshots.get(issue.key)
        unit.observed[issue.key] = observed_snapshot(issue, side, snap, config)
        if side == DEV and (snap is None or snap.status is None):
            continue  # first sight of a dev issue: baseline, not an event
        if snap is not None and snap.status == issue.status:
            continue
        rule = match_rule(config, side, issue, initial=data.initial and snap is None)
        if rule is None:
            unit.notes.append(
                Note.tagged(NoteKind.UNHANDLED, f"{issue.key} is now {issue.status!r} and no rule matches")
            )
            continue
        event = f"{issue.key}@{snap.version if snap else 0}:{issue.status}"
        creating = _rule_actions(unit, rule, side, issue, event, data, creating) or creating

    if (
        config.cross_site
        and linked_pair
        and mapping is not None
        and mapping.state == "linked"
        and not mapping.linked
        and not any(isinstance(a, LinkIssues) for a in unit.actions)
    ):
        # Across sites the remote links are how the two issues find each other: a pair
        # whose links were not made (a crash after the create) gets them now.
        unit.actions.append(LinkIssues("cross-site"))
    if linked_pair:
        _field_sync(unit, data)
        _comment_sync(unit, data)


def _rule_actions(
    unit: UnitPlan, rule: Rule, side: str, issue: IssueData, event: str, data: _Context, creating: bool
) -> bool:
    config, acts = data.config, rule.actions
    has_partner = unit.dev_key is not None or creating
    if acts.create_issue and side == USER and not has_partner:
        linked_dev = _linked_dev_issue(issue, data)
        if linked_dev is not None:
            unit.actions.append(AdoptMapping(linked_dev, True, "link"))
            unit.dev_key = linked_dev
            dev = data.unmapped_dev.get(linked_dev)
            if dev is not None:  # its status now is the baseline for later changes
                unit.observed[dev.key] = observed_snapshot(dev, DEV, None, config)
        else:
            unit.actions.append(
                CreateDevIssue(
                    rule.id,
                    dev_issue_type(config.mappings, issue.issuetype, config.dev_issue_type),
                    dev_fields(issue, config, creating=True),
                    fields_hash(issue, config),
                    link=acts.add_cross_link,
                )
            )
            creating = True
        has_partner = True
    elif acts.add_cross_link and unit.dev_key and not _linked(unit):
        unit.actions.append(LinkIssues(rule.id))
    target = other(side)
    if acts.sync_status and rule.target_status:
        if has_partner:
            current, project, issuetype = _partner_state(unit, target, data, creating)
            unit.actions.append(
                TransitionIssue(
                    target,
                    status_on(config, rule.target_status, target),
                    rule.id,
                    event,
                    issue.key,
                    issue.status,
                    current,
                    project,
                    issuetype,
                    resolution=rule.resolution,
                )
            )
        else:
            unit.notes.append(Note(NoteKind.NO_PARTNER, f"rule {rule.id}: {issue.key} has no partner issue to move"))
    if acts.add_comment and acts.comment_template:
        on = {"target": target, "source": side, "user": USER, "dev": DEV}[acts.comment_on]
        if not has_partner and needs_partner(acts.comment_template):
            unit.notes.append(
                Note(
                    NoteKind.NO_PARTNER,
                    f"rule {rule.id}: the comment names the partner issue (${{targetKey}}) and {issue.key} has none",
                )
            )
        elif on == side or has_partner:
            unit.actions.append(
                AddComment(
                    on,
                    acts.comment_template,
                    rule.id,
                    event,
                    issue.key,
                    issue.status,
                    rule.target_status,
                    verify=on in _unrecorded_own_comments(unit, data),
                    internal=on == USER and not acts.comment_public,
                )
            )
        else:
            unit.notes.append(
                Note(NoteKind.NO_PARTNER, f"rule {rule.id}: {issue.key} has no partner issue to comment on")
            )
    return creating


def needs_partner(template: str) -> bool:
    """Whether a comment template names the partner issue, unknown while there is none."""
    return "${targetKey}" in template or "${targetProject}" in template


def _partner_state(unit: UnitPlan, side: str, data: PlanInput, creating: bool) -> tuple[str | None, str, str]:
    """Status, project and issue type of the issue about to move, from this cycle or its snapshot."""
    config = data.config
    project = config.user_project_key if side == USER else config.dev_project_key
    if side == DEV and creating:
        user_type = unit.user.issuetype if unit.user else ""
        return None, project, dev_issue_type(config.mappings, user_type, config.dev_issue_type)
    issue = unit.user if side == USER else unit.dev
    if issue is not None:
        return issue.status, issue.project, issue.issuetype
    snap = data.snapshots.get(unit.key_of(side) or "")
    if snap is not None:
        return snap.status, snap.project or project, snap.issuetype or ""
    return None, project, ""


def _linked_dev_issue(issue: IssueData, data: _Context) -> str | None:
    """A dev issue a person already linked to ``issue`` (and no other pair owns): the partner."""
    prefix = data.config.dev_project_key + "-"
    keys = sorted(
        {link.other_key for link in issue.links if link.other_key.startswith(prefix)},
        key=lambda k: int(k.rsplit("-", 1)[1]) if k.rsplit("-", 1)[1].isdigit() else 0,
    )
    for key in keys:
        if key not in data.mapped_dev_keys:
            return key
    return None


def _unrecorded_own_comments(unit: UnitPlan, data: PlanInput) -> set[str]:
    """Sides whose issue carries comments by our account that our state does not know.

    Normally every comment we write is recorded; unknown ones mean the state is older than
    Jira (a restored backup, a reset). Comments bound there are looked up in Jira before
    they are written, so they are not written twice.
    """
    sides = set()
    for side, issue in ((USER, unit.user), (DEV, unit.dev)):
        if issue is None:
            continue
        snap = data.snapshots.get(issue.key)
        own = snap.own if snap else set()
        if any(c.author_id == data.account(side) and c.id not in own for c in issue.comments):
            sides.add(side)
    return sides


def _linked(unit: UnitPlan) -> bool:
    if unit.mapping is not None and unit.mapping.linked:
        return True
    for issue, partner in ((unit.user, unit.dev_key), (unit.dev, unit.user_key)):
        if issue is not None and any(link.other_key == partner for link in issue.links):
            return True
    return False


def _field_sync(unit: UnitPlan, data: PlanInput) -> None:
    config = data.config
    if not config.field_sync.enabled or unit.user is None:
        return
    snap = data.snapshots.get(unit.user_key)
    current = fields_hash(unit.user, config)
    if snap is None or snap.fields_hash is None or snap.fields_hash == current:
        return  # first sight is a baseline; equal hashes mean the dev copy is current
    unit.actions.append(EditDevIssue(dev_fields(unit.user, config, creating=False), current))


def _comment_sync(unit: UnitPlan, data: PlanInput) -> None:
    sync = data.config.comment_sync
    if not sync.enabled:
        return
    suspect = _unrecorded_own_comments(unit, data)
    for side, issue, wanted in ((USER, unit.user, sync.user_to_dev), (DEV, unit.dev, sync.dev_to_user)):
        if issue is None or not wanted:
            continue
        snap = data.snapshots.get(issue.key)
        if snap is None:
            continue  # baseline: comments from before we watched this issue stay where they are
        target = other(side)
        for comment in issue.comments:
            if comment.id in snap.own:
                continue  # we wrote it: never sync it back
            if comment.author_id == data.account(side) and not sync.mirror_sync_account:
                continue
            _mirror_one(unit, issue.key, snap, comment, target, sync, verify=target in suspect)
        present = {c.id for c in issue.comments}
        for comment_id, mirror_id in sorted(snap.mirrors.items()):
            if comment_id not in present:
                unit.actions.append(DeleteMirror(target, issue.key, comment_id, mirror_id, "deleted"))


def copy_restriction(comment: CommentData, target: str, sync: Any) -> Restriction | None:
    """How the copy of ``comment`` on side ``target`` must be restricted; None: not copied.

    Never wider than the original: a restricted comment or internal note is copied only
    when the pair opts in, and then keeps its role/group and stays internal. Copies on the
    customer's side are internal notes unless the pair made them public.
    """
    private = comment.privacy
    if private is not None and (sync.restricted_comments != "mirror" or comment.internal is None):
        return None
    internal = bool(comment.internal) or (target == USER and sync.customer_visibility != "public")
    return Restriction(comment.visibility if private else None, internal)


def _mirror_one(
    unit: UnitPlan, key: str, snap: Snapshot, comment: CommentData, target: str, sync: Any, *, verify: bool
) -> None:
    restriction = copy_restriction(comment, target, sync)
    was = snap.restricted.get(comment.id)  # its privacy when last seen (None: public or unseen)
    known = snap.comments.get(comment.id)
    mirror_id = snap.mirrors.get(comment.id)
    if restriction is None:
        if mirror_id is not None:
            unit.actions.append(DeleteMirror(target, key, comment.id, mirror_id, "restricted"))
        elif known is None or was != comment.privacy:
            unit.notes.append(
                Note.tagged(
                    NoteKind.WITHHELD,
                    f"comment {comment.id} on {key} is restricted ({comment.privacy}); not copied to the other issue",
                )
            )
        return
    if mirror_id is None:
        if known is None or was is not None:  # new, or withheld until now
            unit.actions.append(MirrorComment(target, key, comment, verify=verify, restriction=restriction))
    elif known != content_hash(comment.body) or was != comment.privacy:
        unit.actions.append(UpdateMirror(target, key, comment, mirror_id, restriction, restrict=was != comment.privacy))
