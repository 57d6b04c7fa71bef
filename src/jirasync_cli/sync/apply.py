"""Carry out a plan: each write recorded as an intent first, verified in Jira after a crash.

Order per write: record intent → write to Jira → record what it means for our state
(own comment ids, statuses we set) → mark the intent done. A crash anywhere leaves either
nothing, or a pending intent that :mod:`jirasync_cli.sync.recovery` settles by looking in
Jira, so a re-run never writes twice. A Jira 4xx means the write did not happen: the
intent is dropped and the unit is retried next cycle; a 5xx or lost connection leaves it
pending (outcome unknown) until it is verified.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from jirasync_cli.jira import adf
from jirasync_cli.jira.errors import JiraApiError, JiraUnavailable
from jirasync_cli.jira.models import CommentData
from jirasync_cli.store.pair import content_hash
from jirasync_cli.sync import recovery
from jirasync_cli.sync.plan import (
    DEV,
    USER,
    Action,
    AddComment,
    AdoptMapping,
    CreateDevIssue,
    EditDevIssue,
    LinkIssues,
    MirrorComment,
    TransitionIssue,
    UnitPlan,
    UpdateMirror,
)
from jirasync_cli.sync.rules import render_template
from jirasync_cli.sync.runtime import PairRuntime

log = logging.getLogger(__name__)


class UnitDeferred(Exception):
    """The unit cannot proceed yet (e.g. an earlier create is still unresolved)."""


@dataclass
class UnitResult:
    user_key: str
    dev_key: str | None
    done: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    deferred: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.deferred is None


def apply_units(rt: PairRuntime, units: list[UnitPlan], cycle_id: str,
                progress: Callable[[int], None] | None = None) -> list[UnitResult]:
    """Apply every unit (units in parallel, actions of one unit in order)."""
    work = [u for u in units if u.actions or u.observed]
    if not work:
        return []
    workers = max(1, min(rt.config.jira.concurrency, len(work)))
    results: list[UnitResult] = []
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"apply-{rt.config.name}") as pool:
        for i, result in enumerate(pool.map(lambda u: apply_unit(rt, u, cycle_id), work), 1):
            results.append(result)
            if progress:
                progress(i)
    return results


def apply_unit(rt: PairRuntime, unit: UnitPlan, cycle_id: str) -> UnitResult:
    result = UnitResult(unit.user_key, unit.dev_key)
    statuses: dict[str, str] = {}  # statuses we set this unit, so snapshots don't mistake them for a human's
    try:
        if rt.cancel.is_set():
            raise UnitDeferred("shutting down")
        for action in unit.actions:
            rt.check_lease()
            detail = _apply(rt, unit, action, statuses)
            if detail is not None:
                result.done.append({"action": action.kind, **detail})
        result.dev_key = unit.dev_key
        rt.check_lease()
        _store_observed(rt, unit, statuses)
    except UnitDeferred as exc:
        result.deferred = str(exc)
    except JiraApiError as exc:
        result.error = str(exc)
    finally:
        result.dev_key = unit.dev_key
        _audit(rt, unit, result, cycle_id)
    return result


def _store_observed(rt: PairRuntime, unit: UnitPlan, statuses: dict[str, str]) -> None:
    updates = []
    for key, values in unit.observed.items():
        values = dict(values)
        if key in statuses:
            values["status"] = statuses[key]
        updates.append({"key": key, "set": values})
    rt.store.save_snapshots(updates)


def _apply(rt: PairRuntime, unit: UnitPlan, action: Action, statuses: dict[str, str]) -> dict[str, Any] | None:
    if isinstance(action, AdoptMapping):
        linked = any(link.other_key == unit.user_key for link in (unit.dev.links if unit.dev else []))
        if not rt.store.adopt_mapping(unit.user_key, action.dev_key, linked=linked):
            raise UnitDeferred(f"{action.dev_key} claims {unit.user_key}, which is mapped to another issue")
        return {"dev_key": action.dev_key}
    if isinstance(action, CreateDevIssue):
        return _create(rt, unit, action, statuses)
    dev_key = unit.dev_key
    if dev_key is None:
        raise UnitDeferred("no dev issue yet")
    if isinstance(action, LinkIssues):
        return _link(rt, unit.user_key, dev_key)
    if isinstance(action, TransitionIssue):
        return _transition(rt, unit, action, statuses)
    if isinstance(action, AddComment):
        return _template_comment(rt, unit, action)
    if isinstance(action, MirrorComment):
        return _mirror(rt, unit, action)
    if isinstance(action, UpdateMirror):
        target = unit.key_of(action.side)
        assert target is not None
        rt.jira.edit_comment(target, action.mirror_id, _mirror_body(rt, action.comment))
        rt.store.record_own_comment(target, action.mirror_id, content_hash(action.comment.body))
        return {"key": target, "comment": action.mirror_id, "source": f"{action.source_key}/{action.comment.id}"}
    if isinstance(action, EditDevIssue):
        rt.jira.edit_issue(dev_key, action.fields)
        rt.store.record_fields_hash(unit.user_key, action.fields_hash)
        return {"key": dev_key, "fields": sorted(action.fields)}
    raise TypeError(f"unknown action {action!r}")


def _with_intent(
    rt: PairRuntime, intent_id: str, kind: str, key: str, data: dict[str, Any],
    write: Callable[[], dict[str, Any]], on_done: Callable[[dict[str, Any]], None],
) -> tuple[dict[str, Any], bool]:
    """Run ``write`` once per ``intent_id`` ever. Returns (result, whether we wrote now)."""
    existing = rt.store.begin_intent(intent_id, kind, key, data)
    if existing is not None:
        if existing.get("state") == "done":
            return existing.get("result") or {}, False
        found = recovery.verify(rt, existing)
        if found is not None:
            on_done(found)
            rt.store.complete_intent(intent_id, found)
            return found, False
    try:
        outcome = write()
    except JiraUnavailable:
        raise  # outcome unknown: the intent stays pending until verified
    except JiraApiError:
        rt.store.drop_intent(intent_id)  # Jira refused: nothing was written
        raise
    on_done(outcome)
    rt.store.complete_intent(intent_id, outcome)
    return outcome, True


def _create(rt: PairRuntime, unit: UnitPlan, action: CreateDevIssue, statuses: dict[str, str]) -> dict[str, Any]:
    cfg = rt.config
    intent_id = f"create:{cfg.name}:{unit.user_key}"
    mapping = rt.store.begin_create(unit.user_key, intent_id, link=action.link, rule_id=action.rule_id,
                                    at=rt.jira.server_now())
    if mapping is None:
        existing = rt.store.mapping(unit.user_key)
        if existing is None or existing.state == "pending":
            dev_key = recovery.resolve_create(rt, existing) if existing else None
            if dev_key is None:
                raise UnitDeferred(f"creation of the dev issue for {unit.user_key} is unresolved")
        else:
            dev_key = existing.dev_key
        unit.dev_key = dev_key
        return {"dev_key": dev_key, "recovered": True}
    source = {"pair": cfg.name, "userKey": unit.user_key, "intent": intent_id}
    try:
        dev_key = rt.jira.create_issue(
            cfg.dev_project_key, action.issuetype, action.fields, source=source,
            link_to=unit.user_key if action.link else None, source_key=unit.user_key,
        )
    except JiraUnavailable:
        raise  # maybe created: the pending mapping is resolved by looking in Jira
    except JiraApiError:
        rt.store.abandon_create(unit.user_key)
        raise
    statuses[dev_key] = recovery.finish_create(rt, unit.user_key, dev_key, action.issuetype, linked=action.link)
    unit.dev_key = dev_key
    return {"dev_key": dev_key, "linked": action.link}


def _link(rt: PairRuntime, user_key: str, dev_key: str) -> dict[str, Any]:
    def on_done(_: dict[str, Any]) -> None:
        rt.store.set_linked(user_key)

    _, wrote = _with_intent(
        rt, f"link:{user_key}:{dev_key}", "link", user_key, {"dev_key": dev_key},
        lambda: (rt.jira.link(user_key, dev_key), {})[1], on_done,
    )
    return {"key": user_key, "dev_key": dev_key, "wrote": wrote}


def _transition(rt: PairRuntime, unit: UnitPlan, action: TransitionIssue, statuses: dict[str, str]) -> dict[str, Any]:
    key = unit.key_of(action.side)
    assert key is not None
    current = statuses.get(key, action.current_status)

    def write() -> dict[str, Any]:
        moved = rt.jira.transition_to(key, action.target_status, project=action.project,
                                      issuetype=action.issuetype, current=current)
        return {"status": action.target_status, "moved": moved}

    def on_done(result: dict[str, Any]) -> None:
        rt.store.record_status(key, action.target_status, side=action.side)
        statuses[key] = action.target_status

    result, wrote = _with_intent(
        rt, f"transition:{action.event}:{key}", "transition", key,
        {"target_status": action.target_status, "side": action.side}, write, on_done,
    )
    statuses[key] = action.target_status
    return {"key": key, "status": action.target_status, "from": current, "wrote": wrote and result.get("moved", True)}


def _template_comment(rt: PairRuntime, unit: UnitPlan, action: AddComment) -> dict[str, Any]:
    key = unit.key_of(action.side)
    assert key is not None
    source_side = USER if action.source_key == unit.user_key else DEV
    target_key = unit.key_of(DEV if source_side == USER else USER)
    source_issue = unit.user if source_side == USER else unit.dev
    text = render_template(action.template, rt.template_values(
        sourceKey=action.source_key, targetKey=target_key, sourceStatus=action.source_status,
        targetStatus=action.target_status, summary=source_issue.summary if source_issue else None,
        ruleId=action.rule_id, sourceProject=action.source_key.rsplit("-", 1)[0],
        targetProject=target_key.rsplit("-", 1)[0] if target_key else None,
    ))
    body = adf.render(text, rt.jira.adf)
    intent_id = f"comment:{action.event}:{action.rule_id}:{key}"
    return _comment_with_intent(rt, intent_id, key, body, source=None)


def _mirror_body(rt: PairRuntime, comment: CommentData) -> adf.Body:
    header = render_template(rt.config.comment_sync.attribution, {"author": comment.author_name})
    return adf.prepend(header, comment.body, rt.jira.adf)


def _mirror(rt: PairRuntime, unit: UnitPlan, action: MirrorComment) -> dict[str, Any]:
    key = unit.key_of(action.side)
    assert key is not None
    intent_id = f"mirror:{action.source_key}:{action.comment.id}"
    detail = _comment_with_intent(rt, intent_id, key, _mirror_body(rt, action.comment),
                                  source=(action.source_key, action.comment.id))
    return {**detail, "source": f"{action.source_key}/{action.comment.id}"}


def _comment_with_intent(rt: PairRuntime, intent_id: str, key: str, body: adf.Body,
                         source: tuple[str, str] | None) -> dict[str, Any]:
    body_hash = content_hash(body)

    def on_done(result: dict[str, Any]) -> None:
        rt.store.record_own_comment(key, result["comment_id"], body_hash, source)

    result, wrote = _with_intent(
        rt, intent_id, "comment", key, {"source": list(source) if source else None},
        lambda: {"comment_id": rt.jira.add_comment(key, body, intent_id)}, on_done,
    )
    return {"key": key, "comment": result.get("comment_id"), "wrote": wrote}


def _audit(rt: PairRuntime, unit: UnitPlan, result: UnitResult, cycle_id: str) -> None:
    now = datetime.now(UTC)
    keys = [k for k in (unit.user_key, result.dev_key) if k]
    entries = [
        {"ts": now, "cycle": cycle_id, "keys": keys, "action": d["action"], "result": "ok",
         "detail": {k: v for k, v in d.items() if k != "action"}}
        for d in result.done
    ]
    if result.error or result.deferred:
        entries.append({"ts": now, "cycle": cycle_id, "keys": keys, "action": "unit",
                        "result": "error" if result.error else "deferred",
                        "detail": {"reason": result.error or result.deferred}})
    for note in unit.notes:
        entries.append({"ts": now, "cycle": cycle_id, "keys": keys, "action": "note", "result": "info",
                        "detail": {"reason": note}})
    try:
        rt.store.audit(entries)
    except Exception:  # the audit trail must not turn a done write into a retry
        log.warning("could not write audit entries", extra={"user_key": unit.user_key})
