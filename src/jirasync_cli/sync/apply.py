"""Carry out a plan: each write recorded as an intent first, verified in Jira after a crash.

Per write: intent recorded → write to Jira → what it means for our state (own comment
ids, statuses we set, the new mapping) → intent marked done. A crash anywhere leaves either
nothing, or a pending intent that :mod:`jirasync_cli.sync.recovery` settles by looking in
Jira, so a re-run never writes twice. A Jira 4xx means the write did not happen: the
intent is dropped and the unit is retried next cycle; a 5xx or lost connection leaves it
pending (outcome unknown) until it is verified.

Units run in parallel in chunks. Intents whose ids the plan already fixes are recorded for
the whole chunk in one round trip before any of its writes, and the records that follow
the writes are flushed in bulk after the chunk (:class:`~jirasync_cli.store.pair.WriteBatch`).
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, NoReturn

from jirasync_cli.jira import adf, markup
from jirasync_cli.jira.client import CreateScreen
from jirasync_cli.jira.errors import JiraApiError, JiraUnavailable, not_on_screen
from jirasync_cli.jira.models import COPIED_FIELDS, CommentData
from jirasync_cli.store.pair import WriteBatch
from jirasync_cli.sync import crosssite, partners, recovery
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
    SidedAction,
    TransitionIssue,
    UpdateMirror,
    intent_of,
    mirror_intent_id,
)
from jirasync_cli.sync.plan import UnitPlan
from jirasync_cli.sync.records import ActionKind, AuditEntry, AuditEvent, Intent, IntentKind, Outcome, content_hash
from jirasync_cli.sync.rules import render_template
from jirasync_cli.sync.runtime import PairRuntime

log = logging.getLogger(__name__)

COMMENT_LIMIT = 32_767  # Jira's maximum comment length (characters of text)


class UnitDeferred(Exception):
    """The unit cannot proceed yet (e.g. an earlier create is still unresolved)."""


@dataclass(frozen=True)
class Done:
    """One thing a unit did (or found done): counted in the cycle's report and audited."""

    kind: ActionKind
    detail: dict[str, Any]

    @property
    def wrote(self) -> bool:
        """Whether it changed Jira now (False: found done, withheld, or nothing to change)."""
        return bool(self.detail.get("wrote", True))

    @property
    def recovered(self) -> bool:
        """A create an earlier, interrupted cycle made."""
        return bool(self.detail.get("recovered"))


@dataclass
class UnitResult:
    user_key: str
    dev_key: str | None
    done: list[Done] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)  # the plan's, then what applying found
    error: str | None = None
    deferred: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.deferred is None


@dataclass
class Prepared:
    """What was recorded for a chunk before its writes."""

    creates_existing: set[str] = field(default_factory=set)  # user keys with an earlier create intent
    creates_new: set[str] = field(default_factory=set)
    intents_new: set[str] = field(default_factory=set)
    intents_existing: dict[str, Intent] = field(default_factory=dict)
    create_links: dict[str, bool] = field(default_factory=dict)  # user key -> create request carries the link


def prepare(rt: PairRuntime, units: list[UnitPlan]) -> Prepared:
    creates: list[dict[str, Any]] = []
    intents: list[Intent] = []
    retried: list[str] = []
    at = rt.jira.server_now()
    for unit in units:
        if (
            unit.mapping is not None
            and unit.mapping.state == "failed"
            and any(isinstance(a, (CreateDevIssue, AdoptMapping)) for a in unit.actions)
        ):
            retried.append(unit.user_key)  # refused before; the user issue changed since
        for action in unit.actions:
            spec = intent_of(rt.config.name, unit.user_key, unit.dev_key, action)
            if spec is None:
                continue
            if isinstance(action, CreateDevIssue):
                link_now = link_on_create(rt, action)
                creates.append(
                    {
                        "user_key": unit.user_key,
                        "intent_id": spec.id,
                        "link": link_now,
                        "link_after": links_after_create(rt, action) and not link_now,
                        "rule_id": action.rule_id,
                        "at": at,
                    }
                )
            else:
                intents.append(spec)
    prepared = Prepared()
    if retried:
        rt.store.clear_failed_creates(retried)
    if creates:
        prepared.create_links = {c["user_key"]: c["link"] for c in creates}
        prepared.creates_existing = rt.store.begin_creates(creates)
        prepared.creates_new = {c["user_key"] for c in creates} - prepared.creates_existing
    if intents:
        prepared.intents_existing = rt.store.begin_intents(intents)
        prepared.intents_new = {i.id for i in intents} - set(prepared.intents_existing)
    return prepared


class Flusher:
    """Flushes a shared :class:`WriteBatch` from a background thread every ``interval``.

    Writers never wait for MongoDB; records still reach it in order (one flusher thread),
    and :meth:`close` flushes the rest and re-raises a failed flush, so the cycle never
    advances its watermark over records that were not stored.
    """

    def __init__(self, batch: WriteBatch, interval: float = 0.25) -> None:
        self.batch = batch
        self.interval = interval
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="flusher", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.batch.flush()
            except BaseException as exc:  # surfaced by close(); the records stay recoverable
                self._error = exc
                return

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        if self._error is not None:
            raise self._error
        self.batch.flush()


def apply_units(
    rt: PairRuntime, units: list[UnitPlan], cycle_id: str, progress: Callable[[int], None] | None = None
) -> list[UnitResult]:
    """Apply every unit (units in parallel, actions of one unit in order).

    Intents are recorded a chunk at a time, at most two chunks ahead of the writes: after a
    crash, recovery has to look up every recorded-but-unsettled intent in Jira.
    """
    work = [u for u in units if u.actions or u.observed]
    if not work:
        return []
    workers = max(1, min(rt.config.jira.concurrency, len(work)))
    chunk_size = max(16, workers * 4)
    results: list[UnitResult] = []
    in_flight: deque[Future[UnitResult]] = deque()
    flusher = Flusher(rt.store.batch())

    def collect(limit: int) -> None:
        while len(in_flight) > limit:
            results.append(in_flight.popleft().result())
            if progress:
                progress(len(results))

    try:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"apply-{rt.config.name}") as pool:
            try:
                for start in range(0, len(work), chunk_size):
                    chunk = work[start : start + chunk_size]
                    rt.check_lease()
                    prepared = prepare(rt, chunk)
                    for unit in chunk:
                        in_flight.append(pool.submit(apply_unit, rt, unit, cycle_id, prepared, flusher.batch))
                    collect(chunk_size * 2)
                collect(0)
            finally:
                for future in in_flight:
                    future.cancel()
    finally:
        # Stored even if the lease was lost meanwhile: they are facts about writes that
        # happened, identical to what any successor would record.
        flusher.close()
    return results


class _UnitRun:
    """One unit's execution context: its chunk's preparation, batch, and what it did.
    The plan is read, never changed: the dev issue a create makes and the notes applying
    adds are kept here."""

    def __init__(self, rt: PairRuntime, unit: UnitPlan, prepared: Prepared, batch: WriteBatch, cycle_id: str) -> None:
        self.rt, self.unit, self.prepared, self.batch = rt, unit, prepared, batch
        self.cycle_id = cycle_id
        self.dev_key = unit.dev_key
        self.notes: list[Note] = []
        self.statuses: dict[str, str] = {}  # statuses we set, so snapshots don't take them for a human's
        self.attempted: set[str] = set()

    def key_of(self, side: str) -> str | None:
        return self.unit.user_key if side == USER else self.dev_key

    def intent(self, action: Action) -> Intent:
        spec = intent_of(self.rt.config.name, self.unit.user_key, self.dev_key, action)
        assert spec is not None, action
        return spec

    def with_intent(
        self, spec: Intent, write: Callable[[], dict[str, Any]], on_done: Callable[[dict[str, Any]], None]
    ) -> tuple[dict[str, Any], bool]:
        """Run ``write`` once per intent id ever. Returns (result, whether we wrote now)."""
        rt = self.rt
        self.attempted.add(spec.id)
        if spec.id in self.prepared.intents_new:
            existing = None
        elif spec.id in self.prepared.intents_existing:
            existing = self.prepared.intents_existing[spec.id]
        else:
            existing = rt.store.begin_intent(spec)
        if existing is not None:
            if existing.done:
                return existing.result or {}, False
            found = recovery.verify(rt, existing)
            if found is not None:
                on_done(found)
                self.batch.intent_done(spec.id, found)
                return found, False
        try:
            outcome = write()
        except JiraUnavailable:
            raise  # outcome unknown: the intent stays pending until verified
        except JiraApiError:
            rt.store.drop_intent(spec.id)  # Jira refused: nothing was written
            raise
        on_done(outcome)
        self.batch.intent_done(spec.id, outcome)
        return outcome, True

    def drop_unattempted(self) -> None:
        """Intents recorded for this unit's later actions that never ran: nothing to verify."""
        spare = [
            s.id
            for a in self.unit.actions
            if (s := intent_of(self.rt.config.name, self.unit.user_key, self.unit.dev_key, a))
            and s.kind != IntentKind.CREATE
            and s.id in self.prepared.intents_new
            and s.id not in self.attempted
        ]
        self.rt.store.drop_intents(spare)


def apply_unit(rt: PairRuntime, unit: UnitPlan, cycle_id: str, prepared: Prepared, batch: WriteBatch) -> UnitResult:
    run = _UnitRun(rt, unit, prepared, batch, cycle_id)
    result = UnitResult(unit.user_key, unit.dev_key)
    try:
        if rt.cancel.is_set():
            raise UnitDeferred("shutting down")
        try:
            for action in unit.actions:
                rt.check_lease()
                detail = _apply(run, action)
                if detail is not None:
                    result.done.append(Done(action.kind, detail))
        except JiraApiError as exc:
            gone = (
                partners.dev_issue_deleted(rt, unit.user_key, run.dev_key)
                if exc.status == 404 and run.dev_key and exc.key == run.dev_key
                else None
            )
            if gone is None and exc.status == 404 and exc.key == unit.user_key and run.dev_key and rt.config.cross_site:
                # Across sites no issue link tells us the user issue went (its remote link
                # goes with it): a write to it that finds nothing does.
                gone = partners.check_user_issue(
                    rt, unit.user_key, run.dev_key, f"left:{rt.config.name}:{unit.user_key}", run.batch
                )
            if gone is None:
                raise
            raise gone from None
        _record_observed(run)
    except partners.PartnerGone as exc:
        result.done.append(Done(ActionKind.PARTNER_GONE, {"reason": str(exc), **exc.detail}))
        run.notes.append(Note(NoteKind.PARTNER_GONE, str(exc)))
        _record_observed(run)
    except UnitDeferred as exc:
        result.deferred = str(exc)
    except JiraApiError as exc:
        result.error = str(exc)
    finally:
        result.dev_key = run.dev_key
        result.notes = [*unit.notes, *run.notes]
        if not result.ok:
            run.drop_unattempted()
        run.batch.audit(unit_audit(result, cycle_id))
    return result


def _record_observed(run: _UnitRun) -> None:
    for key, values in run.unit.observed.items():
        run.batch.snapshot(key, {**values, **({"status": run.statuses[key]} if key in run.statuses else {})})


def _adopt(run: _UnitRun, action: AdoptMapping) -> dict[str, Any]:
    rt, unit = run.rt, run.unit
    if not rt.store.adopt_mapping(unit.user_key, action.dev_key, linked=action.linked):
        raise UnitDeferred(f"cannot pair {unit.user_key} with {action.dev_key}: one of them is mapped already")
    if action.dev_key not in unit.observed:  # not seen this cycle: its status is the baseline
        dev = rt.jira.get_issue(action.dev_key)
        if dev is not None:
            run.batch.snapshot(
                dev.key,
                {"side": DEV, "status": dev.status, "project": dev.project, "issuetype": dev.issuetype, "version": 0},
            )
    return {"dev_key": action.dev_key, "reason": action.reason}


def _check_user_issue(run: _UnitRun, action: CheckUserIssue) -> dict[str, Any]:
    rt, unit, dev_key = run.rt, run.unit, run.dev_key
    assert dev_key is not None
    gone = partners.check_user_issue(rt, unit.user_key, dev_key, f"left:{rt.config.name}:{unit.user_key}", run.batch)
    if gone is not None:
        raise gone
    return {"key": unit.user_key, "unlinked_by_a_person": True}


def _link(run: _UnitRun, action: LinkIssues) -> dict[str, Any]:
    rt, user_key, dev_key = run.rt, run.unit.user_key, run.dev_key
    assert dev_key is not None

    def write() -> dict[str, Any]:
        rt.jira.link(dev_key=dev_key, user_key=user_key)
        return {}

    _, wrote = run.with_intent(run.intent(action), write, lambda _: run.batch.linked(user_key))
    return {"key": user_key, "dev_key": dev_key, "wrote": wrote}


def _update_mirror(run: _UnitRun, action: UpdateMirror) -> dict[str, Any]:
    rt, target = run.rt, run.key_of(action.side)
    assert target is not None
    restriction = action.restriction
    rt.jira.edit_comment(
        target,
        action.mirror_id,
        _mirror_body(rt, action.comment, action.source_key, target),
        internal=restriction.internal if action.restrict else None,
        visibility=restriction.visibility,
    )
    run.batch.own_comment(target, action.mirror_id, content_hash(action.comment.body))
    return {"key": target, "comment": action.mirror_id, "source": f"{action.source_key}/{action.comment.id}"}


def _delete_mirror(run: _UnitRun, action: DeleteMirror) -> dict[str, Any]:
    rt, target = run.rt, run.key_of(action.side)
    assert target is not None
    wrote = rt.jira.delete_comment(target, action.mirror_id)  # idempotent: gone is gone
    run.batch.mirror_removed(
        action.source_key, action.comment_id, mirror_intent_id(action.source_key, action.comment_id)
    )
    return {
        "key": target,
        "comment": action.mirror_id,
        "reason": action.reason,
        "wrote": wrote,
        "source": f"{action.source_key}/{action.comment_id}",
    }


def _edit(run: _UnitRun, action: EditDevIssue) -> dict[str, Any]:
    dev_key = run.dev_key
    assert dev_key is not None
    sent = _edit_dev(
        run,
        dev_key,
        crosssite.dev_values(run.rt, action.fields, user_key=run.unit.user_key, dev_key_or_project=dev_key),
    )
    run.batch.fields_hash(run.unit.user_key, action.fields_hash)  # also when the screen took none: said once
    return {"key": dev_key, "fields": sent}


def _apply(run: _UnitRun, action: Action) -> dict[str, Any] | None:
    """Carry out one action; returns what it did (audited), or None when there is nothing to say."""
    if not isinstance(action, (AdoptMapping, CreateDevIssue)):
        # Every other action writes to an issue of the pair: the dev issue unless it names a side.
        side = action.side if isinstance(action, SidedAction) else DEV
        if run.key_of(side) is None:  # the user issue itself needs no partner
            raise UnitDeferred("no dev issue yet")
    return _HANDLERS[action.kind](run, action)


def links_after_create(rt: PairRuntime, action: CreateDevIssue) -> bool:
    """Whether a create is followed by linking the two issues (unless its request carried the
    link): when the rule asks, and always across sites, where the remote links are how
    people (and jirasync) get from one issue to its partner."""
    return action.link or rt.config.cross_site


def link_on_create(rt: PairRuntime, action: CreateDevIssue) -> bool:
    """Whether the create request itself carries the link: only where the dev project's
    create screen has *Linked Issues* (else Jira refuses the whole create), never across
    sites (an issue link cannot reach another site)."""
    if not action.link or rt.config.cross_site:
        return False
    try:
        return rt.jira.create_screen(rt.config.dev_project_key, action.issuetype).allows("issuelinks")
    except JiraApiError:
        return False  # the create reports the problem; link afterwards if it gets that far


def _create(run: _UnitRun, action: CreateDevIssue) -> dict[str, Any]:
    rt, unit, cfg = run.rt, run.unit, run.rt.config
    spec = run.intent(action)
    if unit.user_key in run.prepared.create_links:
        recorded_link = run.prepared.create_links[unit.user_key]
    else:
        recorded_link = link_on_create(rt, action)
    fresh = unit.user_key in run.prepared.creates_new or (
        unit.user_key not in run.prepared.creates_existing
        and rt.store.begin_create(
            unit.user_key,
            spec.id,
            link=recorded_link,
            rule_id=action.rule_id,
            at=rt.jira.server_now(),
            link_after=links_after_create(rt, action) and not recorded_link,
        )
        is not None
    )
    if not fresh:
        existing = rt.store.mapping(unit.user_key)
        if existing is None or existing.state == "pending":
            dev_key = recovery.resolve_create(rt, existing) if existing else None
            if dev_key is None:
                raise UnitDeferred(f"creation of the dev issue for {unit.user_key} is unresolved")
        else:
            dev_key = existing.dev_key
        run.dev_key = dev_key
        return {"dev_key": dev_key, "recovered": True}
    try:
        screen = rt.jira.create_screen(cfg.dev_project_key, action.issuetype)
    except JiraUnavailable:
        rt.store.abandon_create(unit.user_key)  # nothing was sent yet
        raise
    except JiraApiError as exc:
        _refused(run, action, exc)
    fields = crosssite.dev_values(
        rt,
        {k: v for k, v in action.fields.items() if screen.allows(k)},
        user_key=unit.user_key,
        dev_key_or_project=cfg.dev_project_key,
    )
    if cfg.cross_site and unit.user is not None and screen.allows("assignee"):
        assignee, why = crosssite.dev_assignee(rt, unit.user)
        if assignee is not None:
            fields["assignee"] = assignee
        elif why:
            run.notes.append(Note.tagged(NoteKind.UNASSIGNED, f"{why} (the dev issue for {unit.user_key})"))
    link_now = recorded_link and screen.allows("issuelinks")
    if recorded_link and not link_now:  # the screen lost the field since the intent was recorded
        rt.store.link_after_create(unit.user_key)
    _report_screen_once(run, screen, action)
    source = {"pair": cfg.name, "userKey": unit.user_key, "intent": spec.id}
    rt.store.create_sending(unit.user_key)
    dev_key, link_now = _send_create(run, action, screen, fields, link_now, source)
    # Audited before the mapping is recorded (the batch stores the audit first): a kill
    # between the two leaves a pending create that recovery audits, never an unaudited one.
    run.batch.audit(
        [
            AuditEntry(
                run.cycle_id,
                [unit.user_key, dev_key],
                ActionKind.CREATE_ISSUE,
                Outcome.OK,
                {"dev_key": dev_key, "linked": link_now},
            )
        ]
    )
    status = recovery.finish_create(rt, unit.user_key, dev_key, action.issuetype, linked=link_now, batch=run.batch)
    if status:
        run.statuses[dev_key] = status
    run.dev_key = dev_key
    if links_after_create(rt, action) and not link_now:
        # Not on the create screen (or on another site): a request of its own. A crash before it is recorded
        # leaves the create to recovery, which finds the issue by its source property and
        # links it then (POSTing an existing link again creates no second one).
        rt.jira.link(dev_key=dev_key, user_key=unit.user_key)
        run.batch.linked(unit.user_key)
    return {"dev_key": dev_key, "linked": links_after_create(rt, action)}


def _send_create(
    run: _UnitRun,
    action: CreateDevIssue,
    screen: CreateScreen,
    fields: dict[str, Any],
    link_now: bool,
    source: dict[str, Any],
) -> tuple[str, bool]:
    """POST the create; if Jira's 400 names fields we sent (not on the screen although its
    metadata offered them, or a value this project does not know, such as a priority
    missing from its scheme), drop them and try once more. Summary is never dropped.
    Returns (dev key, whether the request carried the link)."""
    rt, unit, cfg = run.rt, run.unit, run.rt.config
    for attempt in (1, 2):
        try:
            dev_key = rt.jira.create_issue(
                cfg.dev_project_key,
                action.issuetype,
                fields,
                source=source,
                link_to=unit.user_key if link_now else None,
                source_key=unit.user_key,
            )
            return dev_key, link_now
        except JiraUnavailable:
            raise  # maybe created: the pending mapping is resolved by looking in Jira
        except JiraApiError as exc:
            sent = set(fields) | ({"issuelinks"} if link_now else set())
            refused = set(exc.field_errors) & sent if exc.status == 400 else set()
            if attempt == 2 or not refused or "summary" in refused:
                _refused(run, action, exc)
            screen.refuse(not_on_screen(exc) & refused)  # not on the screen: not sent again
            log.warning(
                "Jira refused fields of a create; creating without them",
                extra={
                    "pair": cfg.name,
                    "user_key": unit.user_key,
                    "project": cfg.dev_project_key,
                    "issuetype": action.issuetype,
                    "errors": exc.field_errors,
                },
            )
            fields = {k: v for k, v in fields.items() if k not in refused}
            if "issuelinks" in refused:
                link_now = False
                rt.store.link_after_create(unit.user_key)  # before the retry: recovery must not trust the link
    raise AssertionError("unreachable")


def _refused(run: _UnitRun, action: CreateDevIssue, exc: JiraApiError) -> NoReturn:
    """Jira refused the create. A 400 is about this site's configuration or this issue's
    data: said once, and retried only when the user issue changes, not every cycle."""
    rt, unit, cfg = run.rt, run.unit, run.rt.config
    if exc.status != 400:
        rt.store.abandon_create(unit.user_key)
        raise exc
    message = (
        f"cannot create a {action.issuetype} in {cfg.dev_project_key} for {unit.user_key}: "
        f"{exc.jira_message}. Fix the project's create screen or required fields (see "
        f"'jirasync check {cfg.name}'), or the rule {action.rule_id!r}; the create is tried again "
        f"when {unit.user_key} next changes"
    )
    rt.store.fail_create(unit.user_key, message, unit.user.updated if unit.user else None)
    raise JiraApiError(400, message, unit.user_key, "create issue") from None


def _report_screen_once(run: _UnitRun, screen: CreateScreen, action: CreateDevIssue) -> None:
    """Say once per process which copied fields the create screen leaves out (a warning in
    the log and an audit entry), not at every create."""
    left_out = [f for f in COPIED_FIELDS if not screen.allows(f)]
    link_later = action.link and not screen.allows("issuelinks")
    if not (left_out or link_later) or not screen.first_report():
        return
    cfg = run.rt.config
    parts = []
    if left_out:
        parts.append(f"dev issues are created without {', '.join(left_out)}")
    if link_later:
        parts.append("the link to the user issue is added in a second request")
    reason = (
        f"the create screen of {cfg.dev_project_key} ({action.issuetype}) lacks "
        f"{', '.join(left_out + (['issuelinks'] if link_later else []))}: {'; '.join(parts)}"
    )
    log.warning(reason, extra={"pair": cfg.name, "left_out": left_out, "link_after_create": link_later})
    run.batch.audit(
        [
            AuditEntry(
                run.cycle_id,
                [],
                AuditEvent.CREATE_SCREEN,
                Outcome.WARNING,
                {"reason": reason, "left_out": left_out, "link_after_create": link_later},
            )
        ]
    )


def _edit_dev(run: _UnitRun, dev_key: str, fields: dict[str, Any]) -> list[str]:
    """Copy ``fields`` to the dev issue, leaving out those Jira refuses: a 400 naming fields
    drops them and sends the edit once more; those not on the edit screen are left out for
    the rest of the process (said once). Returns the fields sent."""
    rt, unit = run.rt, run.unit
    issuetype = unit.dev.issuetype if unit.dev else rt.config.dev_issue_type
    screen_key = (rt.config.dev_project_key, issuetype)
    with rt.learn_lock:
        refused = rt.edit_refused.setdefault(screen_key, set())
    send = {k: v for k, v in fields.items() if k not in refused}
    for attempt in (1, 2):
        if not send:
            return []
        try:
            rt.jira.edit_issue(dev_key, send)
            return sorted(send)
        except JiraUnavailable:
            raise
        except JiraApiError as exc:
            gone = set(exc.field_errors) & set(send) if exc.status == 400 else set()
            if attempt == 2 or not gone:
                raise
            off_screen = not_on_screen(exc) & gone  # remembered; a bad value is dropped from this edit only
            if gone - off_screen:
                log.warning(
                    "Jira refused values of an edit; sending it without them",
                    extra={"pair": rt.config.name, "key": dev_key, "errors": exc.field_errors},
                )
        with rt.learn_lock:
            new = off_screen - refused
            refused |= off_screen
        if new:
            reason = (
                f"the edit screen of {screen_key[0]} ({issuetype or 'issue'}) lacks {', '.join(sorted(new))}: "
                "user-side edits of them are not copied to dev issues"
            )
            log.warning(reason, extra={"pair": rt.config.name, "left_out": sorted(new)})
            run.batch.audit(
                [
                    AuditEntry(
                        run.cycle_id,
                        [],
                        AuditEvent.EDIT_SCREEN,
                        Outcome.WARNING,
                        {"reason": reason, "left_out": sorted(new)},
                    )
                ]
            )
        send = {k: v for k, v in send.items() if k not in gone}
    raise AssertionError("unreachable")


def _transition(run: _UnitRun, action: TransitionIssue) -> dict[str, Any]:
    rt = run.rt
    key = run.key_of(action.side)
    assert key is not None
    current = run.statuses.get(key, action.current_status)
    spec = run.intent(action)

    def write() -> dict[str, Any]:
        moved = rt.jira.transition_to(
            key,
            action.target_status,
            project=action.project,
            issuetype=action.issuetype,
            current=current,
            resolution=action.resolution,
            rule=_resolution_setting(rt, action.rule_id),
        )
        # Recorded by name: a target given as a status id is the name the site shows for it.
        return {"status": rt.jira.status_name(key, action.target_status), "moved": moved}

    def on_done(result: dict[str, Any]) -> None:
        run.batch.status(key, str(result.get("status") or action.target_status), side=action.side)

    result, wrote = run.with_intent(spec, write, on_done)
    reached = str(result.get("status") or action.target_status)
    run.statuses[key] = reached
    return {"key": key, "status": reached, "from": current, "wrote": wrote and result.get("moved", True)}


def _resolution_setting(rt: PairRuntime, rule_id: str) -> str:
    """Where a user sets the resolution of a rule, for error messages."""
    index = next((i for i, r in enumerate(rt.config.rules) if r.id == rule_id), None)
    return (
        f"rules[{index}].resolution (rule {rule_id!r})" if index is not None else f"the resolution of rule {rule_id!r}"
    )


def _comment(run: _UnitRun, action: AddComment | MirrorComment) -> dict[str, Any]:
    rt = run.rt
    key = run.key_of(action.side)
    assert key is not None
    spec = run.intent(action)
    if isinstance(action, MirrorComment):
        restriction = action.restriction
        withheld = _unsupported_restriction(rt, key, restriction.visibility)
        if withheld:
            run.notes.append(
                Note.tagged(
                    NoteKind.WITHHELD,
                    f"comment {action.comment.id} on {action.source_key} not copied to {key}: {withheld}",
                )
            )
            return {
                "key": key,
                "wrote": False,
                "withheld": withheld,
                "source": f"{action.source_key}/{action.comment.id}",
            }
        body = _mirror_body(rt, action.comment, action.source_key, key)
        source: tuple[str, str] | None = (action.source_key, action.comment.id)
        internal, visibility = restriction.internal, restriction.visibility
    else:
        body = _template_body(run, action, key)
        source, internal, visibility = None, action.internal, None
    body_hash = content_hash(body)

    def write() -> dict[str, Any]:
        if action.verify:  # our state may be older than Jira: was it written already?
            found = rt.jira.find_comment_by_intent(key, spec.id, any_version=isinstance(action, AddComment))
            if found is not None:
                return {"comment_id": found, "found": True}
        return {"comment_id": rt.jira.add_comment(key, body, spec.id, internal=internal, visibility=visibility)}

    try:
        result, wrote = run.with_intent(
            spec,
            write,
            lambda res: run.batch.own_comment(key, res["comment_id"], body_hash, source),
        )
    except JiraApiError as exc:
        if source is None or exc.status not in (400, 413) or isinstance(exc, JiraUnavailable):
            raise
        if visibility:
            # Jira refused the restriction (our account is not in that role or group): no
            # copy at all rather than a wider one.
            run.notes.append(
                Note.tagged(
                    NoteKind.WITHHELD,
                    f"a restricted comment from {action.source_key} was not copied to {key}: {exc.jira_message}",
                )
            )
            return {"key": key, "wrote": False, "withheld": exc.jira_message}
        # Jira refuses this one comment (its body): skip it, audited, so it cannot hold up
        # the comments and changes after it; it is not tried again.
        run.notes.append(
            Note.tagged(
                NoteKind.SKIPPED, f"comment {source[1]} on {source[0]} could not be copied to {key}: {exc.jira_message}"
            )
        )
        return {"key": key, "wrote": False, "skipped": exc.jira_message}
    wrote = wrote and not result.get("found")
    detail = {"key": key, "comment": result.get("comment_id"), "wrote": wrote}
    label = Restriction(visibility, internal).label
    if label:
        detail["restricted"] = label
    if source:
        detail["source"] = f"{source[0]}/{source[1]}"
    return detail


def _unsupported_restriction(rt: PairRuntime, key: str, visibility: dict[str, str] | None) -> str | None:
    """Why a restricted copy cannot be made equally restricted on ``key``'s project, if so.
    Groups are site-wide; project roles must exist in the target project."""
    if not visibility or visibility.get("type") != "role":
        return None
    project = key.rsplit("-", 1)[0]
    if visibility["value"] in rt.jira.project_roles(project):
        return None
    return f"role {visibility['value']!r} does not exist in {project}"


def _template_values(run: _UnitRun, action: AddComment) -> dict[str, str]:
    unit = run.unit
    source_side = USER if action.source_key == unit.user_key else DEV
    target_key = run.key_of(DEV if source_side == USER else USER)
    source_issue = unit.user if source_side == USER else unit.dev
    return run.rt.template_values(
        sourceKey=action.source_key,
        targetKey=target_key,
        sourceStatus=action.source_status,
        targetStatus=action.target_status,
        summary=source_issue.summary if source_issue else None,
        ruleId=action.rule_id,
        sourceProject=action.source_key.rsplit("-", 1)[0],
        targetProject=target_key.rsplit("-", 1)[0] if target_key else None,
    )


def _template_body(run: _UnitRun, action: AddComment, key: str) -> adf.Body:
    """A rule's comment in the format of ``key``'s site. Across sites the template is read as
    wiki markup on both (``*Fixed*`` is bold on Cloud too) with the values as plain text; on
    one site it is plain text, as it always was."""
    site = run.rt.jira.for_key(key)
    values = _template_values(run, action)
    if run.rt.config.cross_site:
        return markup.template_body(action.template, values, to_adf=site.adf, display_name=site.display_name)
    return adf.render(render_template(action.template, values), site.adf)


def _mirror_body(rt: PairRuntime, comment: CommentData, source_key: str, target_key: str) -> adf.Body:
    """Attribution, then the original with mentions and attachments made safe (and in the
    target site's format); cut with a marker where Jira's limit would reject it (one long
    comment must not block the rest)."""
    header = render_template(rt.config.comment_sync.attribution, {"author": comment.author_name})
    source, target = rt.jira.for_key(source_key), rt.jira.for_key(target_key)
    body = adf.sanitize(comment.body, source.display_name)
    body = crosssite.body_for(rt, body, source_key=source_key, target_key=target_key) or ""
    text = adf.to_text(body)
    text_length = len(text) + len(header) + 1
    if text_length > COMMENT_LIMIT:
        keep = text[: COMMENT_LIMIT - len(header) - 200]
        body = adf.render(
            f"{keep}\n\n[... cut: {text_length - len(keep) - len(header)} more characters in {source_key}]", target.adf
        )
    return adf.prepend(header, body, target.adf)


def unit_audit(result: UnitResult, cycle_id: str) -> list[AuditEntry]:
    """A unit's audit entries: what it did, why it stopped, and its notes."""
    keys = [k for k in (result.user_key, result.dev_key) if k]
    entries = [
        AuditEntry(cycle_id, keys, d.kind, Outcome.OK, d.detail)
        for d in result.done
        if d.kind is not ActionKind.CREATE_ISSUE  # audited where it happens: _create, recovery.resolve_create
    ]
    if result.error or result.deferred:
        entries.append(
            AuditEntry(
                cycle_id,
                keys,
                AuditEvent.UNIT,
                Outcome.ERROR if result.error else Outcome.DEFERRED,
                {"reason": result.error or result.deferred},
            )
        )
    entries += [
        AuditEntry(cycle_id, keys, AuditEvent.NOTE, Outcome.INFO, {"reason": note.text}) for note in result.notes
    ]
    return entries


# One handler per kind of action (each takes the action of its kind).
_HANDLERS: dict[ActionKind, Callable[[_UnitRun, Any], dict[str, Any] | None]] = {
    ActionKind.ADOPT_MAPPING: _adopt,
    ActionKind.CREATE_ISSUE: _create,
    ActionKind.CHECK_USER_ISSUE: _check_user_issue,
    ActionKind.LINK: _link,
    ActionKind.TRANSITION: _transition,
    ActionKind.COMMENT: _comment,
    ActionKind.MIRROR_COMMENT: _comment,
    ActionKind.UPDATE_MIRROR: _update_mirror,
    ActionKind.DELETE_MIRROR: _delete_mirror,
    ActionKind.EDIT_ISSUE: _edit,
}
