"""A cycle's work on a batch of issues, and the large cycle streamed page by page.

A cycle with few issues plans and applies them as one batch. One with many (a large
project's initial sync, the cycle after it, one after a long outage) is streamed, so a
worker's memory stays bounded by a page, not by the project: each page is planned,
applied and recorded, then dropped. What a cycle keeps across pages is bounded too:
counts, the first few details, retry entries for the issues that failed.

Streaming reads the dev project first, then the user project. A unit is a user issue and
its dev partner, and the two can sit on pages far apart; reading the dev issues first
records their snapshots and rebuilds lost mappings (from our source property) before any
user issue is planned, so a user issue whose partner exists is never given a second one.
And none of the dev issues the user pages create turn up in the search.

Interrupted (crash, kill, lost lease, shutdown), a full sync leaves the watermark and
``initial_sync_completed`` untouched, so the next cycle runs it again from the start:
pages already done find their snapshots and mappings (nothing is created or written
twice), pages not done yet are done then (nothing is lost). An interrupted incremental
cycle likewise starts again from the unchanged watermark.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from jirasync_cli.jira.client import RECONCILE_LIMIT
from jirasync_cli.jira.jql import jql_datetime, quote
from jirasync_cli.jira.models import SOURCE_PROPERTY, IssueData
from jirasync_cli.jira.pacing import Cancelled
from jirasync_cli.sync import retry
from jirasync_cli.sync.actions import DEV, USER, NoteKind
from jirasync_cli.sync.apply import UnitResult, apply_units
from jirasync_cli.sync.plan import CyclePlan, PlanInput, plan_cycle, presumed_snapshot, unrecorded_own_dev_issues
from jirasync_cli.sync.privacy import resolve_internal_flags
from jirasync_cli.sync.records import ActionKind
from jirasync_cli.sync.recovery import learn_initial_status
from jirasync_cli.sync.runtime import PairRuntime

if TYPE_CHECKING:
    from jirasync_cli.sync.cycle import CycleReport, Progress

log = logging.getLogger(__name__)


@dataclass
class Carry:
    """What a cycle carries from one batch to the next: bounded by failures, not issues."""

    old_retry: dict[str, Any]  # retry entries of the last cycle
    retry: dict[str, Any] = field(default_factory=dict)  # this cycle's
    reconcile: list[str] = field(default_factory=list)  # ids of issues written (at most RECONCILE_LIMIT)
    planned: int = 0
    applied: int = 0


def plan_batch(
    rt: PairRuntime, issues: list[IssueData], report: CycleReport, *, retry_keys: Iterable[str] = ()
) -> CyclePlan:
    """Load what the store knows about ``issues`` and plan them."""
    cfg, store = rt.config, rt.store
    keys = [i.key for i in issues]
    # Dev issues linked from user issues too: a person's manual link may be adopted as the partner.
    linked = [link.other_key for i in issues for link in i.links]
    # And the user issues our dev issues name as their source, which may be on another page.
    sources = [
        s["userKey"]
        for i in issues
        if isinstance(s := i.properties.get(SOURCE_PROPERTY), dict) and isinstance(s.get("userKey"), str)
    ]
    mappings = store.mappings_for(user_keys=keys + sources, dev_keys=keys + linked)
    partner_keys = {m.dev_key for m in mappings if m.dev_key} | {m.user_key for m in mappings}
    snapshots = store.snapshots(set(keys) | partner_keys)
    # Data Center's search returns no properties: read the source property of our own dev
    # issues that we cannot place without it (lost mapping or snapshot); none when idle.
    mapped_dev = {m.dev_key for m in mappings if m.dev_key}
    user_site, dev_site = rt.client("user"), rt.client("dev")
    dev_site.fill_source_properties(
        i
        for i in issues
        if i.project == cfg.dev_project_key
        and i.creator_id == dev_site.me.id
        and (i.key not in mapped_dev or i.key not in snapshots)
    )
    plan_input = PlanInput(
        config=cfg,
        initial=report.mode == "full",
        snapshots=snapshots,
        mappings=mappings,
        sync_account=user_site.me.id,
        retry_keys=frozenset(retry_keys),
        dev_account=dev_site.me.id if cfg.cross_site else None,
    )
    resolve_internal_flags(rt, issues, snapshots)
    for issue in unrecorded_own_dev_issues(issues, plan_input):
        status = learn_initial_status(rt, issue.project, issue.issuetype, issue.key)
        if status:
            snapshots[issue.key] = presumed_snapshot(issue, status)
    plan = plan_cycle(issues, plan_input)
    report.unchanged += plan.skipped_unchanged
    for unit in plan.units:
        for note in unit.notes:
            if note.kind is NoteKind.UNHANDLED:
                report.note_unhandled(note.text)
                log.debug(note.text, extra={"pair": cfg.name})
    return plan


def apply_batch(
    rt: PairRuntime, plan: CyclePlan, issues: list[IssueData], report: CycleReport, carry: Carry, progress: Progress
) -> None:
    """Apply a planned batch and fold its results into the report and ``carry``."""
    carry.planned += len(plan.units)
    progress.planned(carry.planned)
    done_before = carry.applied

    def applied(n: int) -> None:
        carry.applied = done_before + n
        progress.applied(carry.applied)

    results = apply_units(rt, plan.units, report.cycle_id, progress=applied)
    carry.retry.update(summarise(report, results, carry.old_retry))
    if len(carry.reconcile) < RECONCILE_LIMIT:
        carry.reconcile = list(dict.fromkeys(carry.reconcile + written_ids(issues, results)))[:RECONCILE_LIMIT]


def stream_by_project(
    rt: PairRuntime,
    report: CycleReport,
    carry: Carry,
    progress: Progress,
    reconcile_ids: list[str],
    since: datetime | None = None,
    since_of: Callable[[str], datetime | None] | None = None,
) -> dict[str, datetime]:
    """Every issue of the pair (updated from ``since``, or ``since_of(side)``, if given), a
    page at a time: dev project, then user project, each searched on its own site. Returns
    each side's watermark: its site's clock when its search began (on one site, the dev
    side's is the earlier: the first search began the sync)."""
    cfg = rt.config
    started: datetime | None = None
    marks: dict[str, datetime] = {}
    seen = 0
    for side, project, extra in ((DEV, cfg.dev_project_key, cfg.jql.dev), (USER, cfg.user_project_key, cfg.jql.user)):

        def searched(n: int, before: int = seen) -> None:
            progress.searched(before + n)

        client = rt.client(side)
        jql = project_jql(project, extra, since_of(side) if since_of else since, client.me.time_zone)
        # Issue ids are per site: a cross-site pair asks no site to reconcile ids.
        pages = client.search_pages(jql, on_page=searched, reconcile_ids=[] if cfg.cross_site else reconcile_ids)
        started = None
        for issues in one_ahead(pages):
            if rt.cancel.is_set():  # not one page more; and no watermark over the pages not done
                raise Cancelled("stopped between two pages of the search; the next cycle does them")
            if started is None:
                started = marks[side] = pages.started_at
            seen += len(issues)
            report.issues_seen += len(issues)
            plan = plan_batch(rt, issues, report)
            apply_batch(rt, plan, issues, report, carry, progress)
            # Old retry entries of issues seen here are settled by this cycle (kept above if they failed again).
            for issue in issues:
                carry.old_retry.pop(issue.key, None)
            del plan, issues
        if started is None:  # no issue at all in the project: its search still began the sync
            marks[side] = pages.started_at
    if not cfg.cross_site:
        marks[USER] = marks[DEV] = min(marks.values())
    return marks


def one_ahead(pages: Iterable[list[IssueData]]) -> Iterator[list[IssueData]]:
    """``pages``, the next one fetched in the background while the caller works on the
    current one (Jira's latency overlaps the writes; two pages in memory at most). Errors
    of the search come out here; a caller that stops early stops the fetching."""
    slot: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def put(item: tuple[str, Any]) -> bool:
        while not stop.is_set():
            try:
                slot.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def fetch() -> None:
        try:
            for page in pages:
                if not put(("page", page)):
                    return
            put(("end", None))
        except BaseException as exc:  # handed to the caller, raised there
            put(("error", exc))

    threading.Thread(target=fetch, name="search-ahead", daemon=True).start()
    try:
        while True:
            kind, value = slot.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
            del value
    finally:
        stop.set()


def project_jql(project: str, extra: str | None, since: datetime | None = None, zone: ZoneInfo | None = None) -> str:
    """The issues of one side of the pair, oldest first (the order paging relies on)."""
    clause = f"project = {quote(project)}"
    if extra:
        clause += f" AND ({extra})"
    if since is not None:
        clause += f" AND updated >= {quote(jql_datetime(since, zone or ZoneInfo('UTC')))}"
    return clause + " ORDER BY created ASC, key ASC"


def written_ids(issues: list[IssueData], results: list[UnitResult]) -> list[str]:
    """Ids of the issues this batch wrote to (those it saw): Cloud search is asked to
    reconcile them next cycle, so our own recent writes are not missing from it."""
    ids = {i.key: i.id for i in issues if i.id}
    out: list[str] = []
    for res in results:
        if any(d.wrote and d.kind is not ActionKind.ADOPT_MAPPING for d in res.done):
            out += [ids[k] for k in (res.user_key, res.dev_key) if k in ids]
    return list(dict.fromkeys(out))[:RECONCILE_LIMIT]


def summarise(report: CycleReport, results: list[UnitResult], old_retry: dict[str, Any]) -> dict[str, Any]:
    """Count ``results`` into ``report``; returns retry entries for the units that failed."""
    failures: list[retry.Failure] = []
    for res in results:
        for done in res.done:
            if done.wrote and not done.recovered:
                report.actions[done.kind] += 1
            if done.kind is ActionKind.CREATE_ISSUE and done.detail.get("dev_key") and not done.recovered:
                report.note_created(res.user_key, done.detail["dev_key"])
        if res.ok:
            continue
        reason = res.error or res.deferred or ""
        if res.error:
            report.note_error(f"{res.user_key}: {reason}")
        else:
            report.note_deferred(f"{res.user_key}: {reason}")
        failure = retry.Failure(res.user_key, res.dev_key, reason)
        failures.append(failure)
        if res.error:  # logged when it first happens (or changes), not again every cycle
            log.log(
                logging.INFO if retry.repeated(old_retry, failure) else logging.ERROR,
                "sync of an issue failed; it will be retried next cycle",
                extra={
                    "user_key": res.user_key,
                    "dev_key": res.dev_key,
                    "error": res.error,
                    "attempts": retry.attempts(old_retry, failure),
                },
            )
    return retry.entries(old_retry, failures)
