"""Settle writes whose outcome is unknown (crash, lost response) by looking in Jira.

Runs at the start of every cycle, before planning, so the planner never mistakes our own
half-recorded write for a human's change:

* a pending create is found through the link created with it (GET of the user issue is
  read-your-writes consistent) and the ``jirasync.source`` property on the dev issue; for
  creates whose request carried no link (none wanted, or not on the create screen), a
  search for recent dev issues carrying that property, trusted only once the search has
  had time to catch up; a found issue still missing its link is linked then;
* a pending comment is found by its ``jirasync.comment`` property;
* a pending transition or link by reading the issue.

Found: its effects are recorded and the intent is done. Not found: the intent is dropped
and the planner, whose snapshot was never advanced, plans the write again.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from jirasync_cli.jira.crosssite import CrossSiteJira
from jirasync_cli.jira.jql import created_since_jql
from jirasync_cli.jira.models import SOURCE_PROPERTY
from jirasync_cli.store.pair import WriteBatch
from jirasync_cli.sync.mapping import dev_issue_type
from jirasync_cli.sync.records import ActionKind, AuditEntry, Intent, IntentKind, Mapping, Outcome
from jirasync_cli.sync.runtime import PairRuntime

log = logging.getLogger(__name__)


def verify(rt: PairRuntime, intent: Intent) -> dict[str, Any] | None:
    """The result of ``intent`` if Jira shows it happened, else None."""
    kind, key, data = intent.kind, intent.key, intent.data
    if kind == IntentKind.COMMENT:
        comment_id = rt.jira.find_comment_by_intent(key, intent.id)
        return {"comment_id": comment_id} if comment_id else None
    if kind == IntentKind.TRANSITION:
        status = rt.jira.current_status(key)
        target = str(data.get("target_status", ""))
        name = rt.jira.status_name(key, target)  # a target given as a status id, by its name
        if status is not None and status.casefold() in {target.casefold(), name.casefold()}:
            return {"status": name, "moved": True}
        return None
    if kind == IntentKind.LINK and rt.config.cross_site:  # remote links, one on each site
        dev_key = data.get("dev_key")
        assert isinstance(rt.jira, CrossSiteJira)
        return {} if dev_key and rt.jira.linked(dev_key=str(dev_key), user_key=key) else None
    if kind == IntentKind.LINK:
        issue = rt.jira.get_issue(key)
        if issue is not None and any(link.other_key == data.get("dev_key") for link in issue.links):
            return {}
        return None
    log.warning("unknown intent kind in journal", extra={"intent": intent.id, "kind": str(kind)})
    return None


def _record_verified(batch: WriteBatch, intent: Intent, result: dict[str, Any]) -> None:
    """What a write found in Jira means for our state (as if we had seen it succeed)."""
    kind, key, data = intent.kind, intent.key, intent.data
    if kind == IntentKind.COMMENT:
        source = data.get("source")
        batch.own_comment(key, result["comment_id"], "", (str(source[0]), str(source[1])) if source else None)
    elif kind == IntentKind.TRANSITION:
        batch.status(key, str(result.get("status") or data["target_status"]), side=data.get("side", "user"))
    elif kind == IntentKind.LINK:
        batch.linked(key)
    batch.intent_done(intent.id, result)


def resolve_create(rt: PairRuntime, mapping: Mapping) -> str | None:
    """Find the dev issue a pending create made. Records and returns its key, or None.

    First by a link on the user issue (a plain GET shows it at once); then, for a create
    whose request carried no link (the create screen lacks *Linked Issues*), by a search for
    recent dev issues with our ``jirasync.source`` property, trusted to say "not there" only
    once search has had time to catch up. A found issue that still needs its link gets it
    now. None also drops the pending entry when Jira surely has no such issue (including a
    create recorded but never sent), so the create is planned again.
    """
    if mapping.sending is False:  # the request never left: nothing to look for
        rt.store.abandon_create(mapping.user_key)
        log.info("interrupted create was never sent; it will be planned again", extra={"user_key": mapping.user_key})
        return None
    user_issue = rt.jira.get_issue(mapping.user_key)
    if user_issue is None:
        rt.store.abandon_create(mapping.user_key)
        return None
    found = _found_by_link(rt, mapping, user_issue.links)
    linked = found is not None
    settled = True  # a link shows up on a plain GET at once
    if found is None and not mapping.linked:
        since = mapping.created_at or rt.jira.server_now()
        found = _found_by_search(rt, mapping, since)
        settled = rt.jira.server_now() - since > timedelta(seconds=rt.create_settle_seconds)
    if found is not None:
        if not linked and mapping.link_after:
            rt.jira.link(dev_key=found, user_key=mapping.user_key)
            linked = True
        issuetype = dev_issue_type(rt.config.mappings, user_issue.issuetype, rt.config.dev_issue_type)
        finish_create(rt, mapping.user_key, found, issuetype, linked=linked)
        _audit_recovered_create(rt, mapping.user_key, found)
        log.info(
            "recovered dev issue of an interrupted create",
            extra={"user_key": mapping.user_key, "dev_key": found, "linked": linked},
        )
        return found
    if settled:
        rt.store.abandon_create(mapping.user_key)
        log.info("interrupted create did not happen; it will be planned again", extra={"user_key": mapping.user_key})
    return None


def _ours(rt: PairRuntime, mapping: Mapping, key: str, properties: dict[str, Any] | None = None) -> bool:
    source = (properties or {}).get(SOURCE_PROPERTY)
    if source is None:  # not returned (Data Center's search ignores properties=): ask the issue
        source = rt.jira.issue_property(key, SOURCE_PROPERTY)
    return isinstance(source, dict) and source.get("intent") == mapping.intent_id


def _found_by_link(rt: PairRuntime, mapping: Mapping, links: list[Any]) -> str | None:
    for link in links:
        if link.other_key.startswith(rt.config.dev_project_key + "-") and _ours(rt, mapping, link.other_key):
            return str(link.other_key)
    return None


def _found_by_search(rt: PairRuntime, mapping: Mapping, since: Any) -> str | None:
    dev = rt.client("dev")  # the dev project's site (its clock, zone and account)
    jql = created_since_jql(rt.config.dev_project_key, since, dev.me.time_zone)
    for issue in dev.search(jql).issues:
        # Data Center's search returns no properties: ask only issues our account created.
        if SOURCE_PROPERTY not in issue.properties and (dev.is_cloud or issue.creator_id != dev.me.id):
            continue
        if _ours(rt, mapping, issue.key, issue.properties):
            return issue.key
    return None


def finish_create(
    rt: PairRuntime, user_key: str, dev_key: str, issuetype: str, *, linked: bool, batch: WriteBatch | None = None
) -> str | None:
    """Record a created dev issue: mapping, and a snapshot with the status it starts in.

    The start status is learnt once per issue type (one GET), so a dev issue moved before
    our next cycle still shows a status change instead of a silent baseline.
    """
    own_batch = batch is None
    batch = batch or rt.store.batch()
    batch.create_done(user_key, dev_key, linked=linked)
    project = rt.config.dev_project_key
    status = learn_initial_status(rt, project, issuetype, dev_key)
    # Ours from birth: the status it started in and no comments seen, so whatever people
    # did to it before this is stored counts as changes to sync.
    batch.snapshot(dev_key, {"side": "dev", "status": status, "project": project, "issuetype": issuetype, "version": 0})
    if own_batch:
        batch.flush()
    return status


def learn_initial_status(rt: PairRuntime, project: str, issuetype: str, sample_key: str) -> str | None:
    """The status new issues of this type start in: learnt once per process from the
    changelog of one of them (one request), then cached."""
    cache_key = (project, issuetype)
    status = rt.initial_status.get(cache_key)
    if status is None:
        with rt.learn_lock:  # parallel creates: one lookup, not one per thread
            status = rt.initial_status.get(cache_key)
            if status is None:
                status = rt.jira.status_at_creation(sample_key)
                if status:
                    rt.initial_status[cache_key] = status
    return status


def _audit_recovered_create(rt: PairRuntime, user_key: str, dev_key: str) -> None:
    """The audit trail names every dev issue we created, including those whose record was
    lost in a crash (once: the entry may have been stored before the crash)."""
    if not rt.store.audited_create(user_key):
        rt.store.audit(
            [
                AuditEntry(
                    "recovery",
                    [user_key, dev_key],
                    ActionKind.CREATE_ISSUE,
                    Outcome.OK,
                    {"dev_key": dev_key, "recovered": True},
                )
            ]
        )


def recover_pending(rt: PairRuntime) -> dict[str, int]:
    """Settle every pending intent and create of earlier (crashed) cycles."""
    counts = {"recovered": 0, "dropped": 0, "unresolved": 0}
    for mapping in rt.store.pending_creates():
        rt.check_lease()
        if resolve_create(rt, mapping):
            counts["recovered"] += 1
        elif rt.store.mapping(mapping.user_key) is None:
            counts["dropped"] += 1
        else:
            counts["unresolved"] += 1
    batch = rt.store.batch()
    for intent in rt.store.pending_intents():
        rt.check_lease()
        result = verify(rt, intent)
        if result is None:
            rt.store.drop_intent(intent.id)
            counts["dropped"] += 1
        else:
            _record_verified(batch, intent, result)
            counts["recovered"] += 1
    batch.flush()
    return counts
