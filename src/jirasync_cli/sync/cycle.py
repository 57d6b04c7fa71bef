"""One sync cycle of one pair: decide full or incremental, search once, plan, apply, advance.

Seed semantics, exactly:

* no ``last_sync`` and not ``initial_sync_completed`` → initial FULL sync (no time filter),
  unless the pair has ``initialSyncEnabled: false``: then incremental from now;
* no ``last_sync`` but ``initial_sync_completed`` → the state was lost: warn, incremental from
  now, no full resync;
* ``last_sync`` present → incremental from it (minus an overlap window).

The watermark is Jira's clock at the moment the search began, stored only after the
cycle's changes were applied. A cycle with more than STREAM_AFTER issues (a large
project's initial sync, the cycle after it) goes a page at a time (see
:mod:`jirasync_cli.sync.pages`); its watermark is the start of its first search. Issues
that failed are re-fetched by key next cycle (so one broken issue neither blocks the
watermark nor gets lost).
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from jirasync_cli.jira.client import JiraClient, SearchResult
from jirasync_cli.jira.errors import JiraApiError
from jirasync_cli.jira.jql import quote, split_order, sync_jql
from jirasync_cli.store.pair import SyncState
from jirasync_cli.sync import retry
from jirasync_cli.sync.actions import DEV, USER
from jirasync_cli.sync.mode import Why, choose_mode
from jirasync_cli.sync.pages import Carry, apply_batch, plan_batch, project_jql, stream_by_project
from jirasync_cli.sync.plan import CyclePlan
from jirasync_cli.sync.recovery import recover_pending
from jirasync_cli.sync.runtime import PairRuntime

log = logging.getLogger(__name__)

MAX_RETRY_KEYS = 200  # keys re-fetched by key per cycle (the rest wait); long queries go by POST
DETAIL_LIMIT = 100  # created pairs, errors, ... a report lists (it counts them all)
STREAM_AFTER = 200  # issues a cycle plans as one batch; beyond, it goes page by page


@dataclass
class CycleReport:
    pair: str
    cycle_id: str
    mode: str  # "full" | "incremental"
    dry_run: bool
    started_at: datetime
    since: datetime | None = None
    watermark: datetime | None = None
    duration_seconds: float = 0.0
    issues_seen: int = 0
    unchanged: int = 0
    jira_requests: int = 0  # every request sent to Jira during the cycle, retries included
    requests_by_kind: dict[str, int] = field(default_factory=dict)
    actions: Counter[str] = field(default_factory=Counter)
    # The first DETAIL_LIMIT of each; the counts below are complete. A report outlives its
    # cycle (heartbeats, the state document): it must not grow with the project.
    created: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)
    unhandled: list[str] = field(default_factory=list)
    created_count: int = 0
    error_count: int = 0
    deferred_count: int = 0
    unhandled_count: int = 0
    recovered: dict[str, int] = field(default_factory=dict)
    plan: CyclePlan | None = None  # dry runs only (they show it)

    @property
    def result(self) -> str:
        return "error" if self.errors else "ok"

    def note_created(self, user_key: str, dev_key: str) -> None:
        self.created_count += 1
        if len(self.created) < DETAIL_LIMIT:
            self.created.append((user_key, dev_key))

    def note_error(self, line: str) -> None:
        self.error_count += 1
        if len(self.errors) < DETAIL_LIMIT:
            self.errors.append(line)

    def note_deferred(self, line: str) -> None:
        self.deferred_count += 1
        if len(self.deferred) < DETAIL_LIMIT:
            self.deferred.append(line)

    def note_unhandled(self, line: str) -> None:
        self.unhandled_count += 1
        if len(self.unhandled) < DETAIL_LIMIT:
            self.unhandled.append(line)

    def counts(self) -> dict[str, int]:
        """Complete counts (the lists hold the first DETAIL_LIMIT of each)."""
        return {
            "created": max(self.created_count, len(self.created)),
            "errors": max(self.error_count, len(self.errors)),
            "deferred": max(self.deferred_count, len(self.deferred)),
            "unhandled": max(self.unhandled_count, len(self.unhandled)),
        }

    def summary(self) -> dict[str, Any]:
        return {
            "pair": self.pair,
            "cycle": self.cycle_id,
            "mode": self.mode,
            "dryRun": self.dry_run,
            "result": self.result,
            "startedAt": self.started_at.isoformat(),
            "since": self.since.isoformat() if self.since else None,
            "watermark": self.watermark.isoformat() if self.watermark else None,
            "durationSeconds": round(self.duration_seconds, 3),
            "issuesSeen": self.issues_seen,
            "unchanged": self.unchanged,
            "jiraRequests": self.jira_requests,
            "requestsByKind": dict(self.requests_by_kind),
            "actions": dict(self.actions),
            "created": [{"user": u, "dev": d} for u, d in self.created],
            "errors": self.errors,
            "deferred": self.deferred,
            "unhandled": self.unhandled,
            "recovered": self.recovered,
            "counts": self.counts(),
        }


@dataclass
class Progress:
    """Callbacks for long work (the CLI draws a progress bar from them)."""

    searched: Callable[[int], None] = lambda n: None
    planned: Callable[[int], None] = lambda total: None
    applied: Callable[[int], None] = lambda n: None


def run_cycle(rt: PairRuntime, *, dry_run: bool = False, progress: Progress | None = None) -> CycleReport:
    progress = progress or Progress()
    cfg, store, jira = rt.config, rt.store, rt.jira
    monotonic_start = time.monotonic()
    if not dry_run and store.restore_indexes():
        log.warning("The pair's MongoDB indexes were missing and have been recreated", extra={"pair": cfg.name})
    state = store.load_state()
    report = CycleReport(cfg.name, uuid.uuid4().hex[:12], "incremental", dry_run, jira.server_now())
    requests_before = jira.requests.snapshot()

    mode = choose_mode(
        last_sync=state.last_sync,
        initial_sync_completed=state.initial_sync_completed,
        watch_from=state.watch_from,
        initial_sync_enabled=cfg.initial_sync_enabled,
        now=jira.server_now(),
        overlap=timedelta(seconds=rt.overlap_seconds),
    )
    report.mode, report.since, watch_from = mode.name, mode.since, mode.watch_from
    if mode.why is Why.INITIAL:
        log.info("Running initial full sync", extra={"pair": cfg.name})
    elif mode.why is Why.STATE_LOST:
        log.warning("Last sync state lost, using current time for incremental sync", extra={"pair": cfg.name})
    elif mode.why is Why.INITIAL_DISABLED:
        log.info("Initial sync disabled, starting incremental sync from now", extra={"pair": cfg.name})

    if not dry_run:
        report.recovered = {k: v for k, v in recover_pending(rt).items() if v}

    carry = Carry(old_retry=dict(state.retry_keys))
    too_large: datetime | None = None
    try:
        marks = _search_and_apply(rt, report, state, carry, progress, dry_run=dry_run)
    except _TooLarge as exc:
        too_large = exc.started_at  # (not streamed from in here: the traceback holds the pages read)
    if too_large is not None:
        # A large project's initial sync, or many changes (the cycle after it, a long
        # outage): page by page, memory bounded by a page; issues kept for a retry wait
        # for a smaller cycle.
        log.info("many issues to sync; going page by page", extra={"pair": cfg.name, "more_than": STREAM_AFTER})
        streamed = stream_by_project(
            rt,
            report,
            carry,
            progress,
            state.reconcile_ids,
            since=report.since,
            since_of=lambda side: site_since(rt, state, side, report.since),
        )
        # (one site's early start is no watermark for the other: each keeps its own)
        marks = {side: min(too_large, t) for side, t in streamed.items()} if not cfg.cross_site else streamed
    watermark = min(marks.values())
    if dry_run:
        report.duration_seconds = time.monotonic() - monotonic_start
        _count_requests(report, jira, requests_before)
        return report
    # Keys not fetched this cycle (beyond its share, or refused without being named) wait
    # for the next one; only keys Jira named as gone are forgotten.
    new_retry = carry.retry
    for key, entry in carry.old_retry.items():
        if key not in new_retry:
            new_retry[key] = entry
    if report.unhandled_count:  # one line: an initial sync may see a thousand of them
        log.info("issues moved to a status no rule handles", extra={"pair": cfg.name, "count": report.unhandled_count})
    rt.check_lease()
    report.watermark = watermark
    report.duration_seconds = time.monotonic() - monotonic_start
    _count_requests(report, jira, requests_before)
    store.save_state(
        counts={
            **report.actions,
            "cycles": 1,
            "errors": report.counts()["errors"],
            **{f"jira_requests_{k}": n for k, n in report.requests_by_kind.items()},
        },
        last_sync=watermark,
        initial_sync_completed=True,
        retry_keys=new_retry,
        **({"watermarks": marks} if cfg.cross_site else {}),
        reconcile_ids=carry.reconcile,
        watch_from=watch_from,
        last_cycle=report.summary(),
    )
    if report.mode == "full":
        log.info(
            "Initial sync completed",
            extra={"pair": cfg.name, "issues": report.issues_seen, "dev_issues_created": report.counts()["created"]},
        )
    return report


def _search_and_apply(
    rt: PairRuntime, report: CycleReport, state: SyncState, carry: Carry, progress: Progress, *, dry_run: bool
) -> dict[str, datetime]:
    """One search per site (over both projects on a single site), planned and applied as one
    batch (raises :class:`_TooLarge` past STREAM_AFTER issues, dry runs excepted). Returns
    the watermark of each side (the same on one site)."""
    retry_keys = retry.due(state.retry_keys, MAX_RETRY_KEYS) if report.since is not None else []
    limit = None if dry_run else STREAM_AFTER
    if rt.config.cross_site:
        result, retry_keys, dropped, watermarks = _search_sites(rt, report, state, retry_keys, progress, limit)
    else:
        cfg, jira = rt.config, rt.jira
        jql = sync_jql(
            cfg.user_project_key,
            cfg.dev_project_key,
            user_filter=cfg.jql.user,
            dev_filter=cfg.jql.dev,
            since=report.since,
            zone=jira.me.time_zone,
        )
        result, retry_keys, dropped = _search(rt, jql, retry_keys, progress, state.reconcile_ids, limit=limit)
        watermarks = {USER: result.started_at, DEV: result.started_at}
    report.issues_seen = len(result.issues)
    plan = plan_batch(rt, result.issues, report, retry_keys=retry_keys)
    if dry_run:
        report.plan = plan
        progress.planned(len(plan.units))
        report.actions.update(a.kind for u in plan.units for a in u.actions)
        return watermarks
    apply_batch(rt, plan, result.issues, report, carry, progress)
    # Old entries of issues fetched now are settled (kept in carry.retry if they failed
    # again), and so are keys Jira named as gone.
    for key in {i.key for i in result.issues} | dropped:
        carry.old_retry.pop(key, None)
    return watermarks


def _search_sites(
    rt: PairRuntime, report: CycleReport, state: SyncState, retry_keys: list[str], progress: Progress, limit: int | None
) -> tuple[SearchResult, list[str], set[str], dict[str, datetime]]:
    """A cross-site pair's searches: one per site, each from that site's own watermark (its
    clock), with the site's account time zone; the results are planned as one batch."""
    cfg = rt.config
    found: SearchResult | None = None
    covered: list[str] = []
    dropped: set[str] = set()
    watermarks: dict[str, datetime] = {}
    for side, project, extra in ((DEV, cfg.dev_project_key, cfg.jql.dev), (USER, cfg.user_project_key, cfg.jql.user)):
        client = rt.client(side)
        since = site_since(rt, state, side, report.since)
        jql = project_jql(project, extra, since, client.me.time_zone)
        keys = [k for k in retry_keys if k.rsplit("-", 1)[0] == project]
        # Issue ids are per site: ids to reconcile are not handed to the other site.
        result, keys, gone = _search(rt, jql, keys, progress, [], limit=limit, client=client)
        covered += keys
        dropped |= gone
        watermarks[side] = result.started_at
        found = (
            result
            if found is None
            else SearchResult(found.issues + result.issues, found.started_at, found.requests + result.requests)
        )
    assert found is not None
    return found, covered, dropped, watermarks


def site_since(rt: PairRuntime, state: SyncState, side: str, since: datetime | None) -> datetime | None:
    """Where a site's incremental search starts: its own watermark minus the overlap (each
    site has its own clock), else the cycle's."""
    mark = state.watermarks.get(side)
    if since is None or mark is None:
        return since
    start = mark - timedelta(seconds=rt.overlap_seconds)
    return max(start, state.watch_from) if state.watch_from and side == DEV else start


def _count_requests(report: CycleReport, jira: Any, before: dict[str, int]) -> None:
    """Every request the cycle sent, by kind, as the transport counted them."""
    after = jira.requests.snapshot()
    report.requests_by_kind = {k: n - before.get(k, 0) for k, n in after.items() if n - before.get(k, 0)}
    report.jira_requests = sum(report.requests_by_kind.values())


class _TooLarge(Exception):
    """The cycle's search returned more issues than one batch should hold."""

    def __init__(self, started_at: datetime) -> None:
        super().__init__()
        self.started_at = started_at


def _search(
    rt: PairRuntime,
    jql: str,
    retry_keys: list[str],
    progress: Progress,
    reconcile_ids: list[str],
    limit: int | None = None,
    client: JiraClient | None = None,
) -> tuple[SearchResult, list[str], set[str]]:
    """The cycle's one search, also re-fetching issues whose actions failed last time
    (whatever their ``updated``). Returns the result, the retry keys it covered and the
    keys Jira named as gone.

    Jira rejects the whole query if one of those keys no longer exists (deleted, moved) or
    is malformed: keys its 400 names are dropped; a 400 naming none of them is answered by
    searching without them and fetching them apart, so neither one broken key nor an
    unexplained 400 costs the others their retry."""
    site = client or rt.client("user")  # (one site: the pair's one client)

    def search(query: str) -> SearchResult:
        pages = site.search_pages(query, on_page=progress.searched, reconcile_ids=reconcile_ids)
        issues = []
        for page in pages:
            issues += page
            if limit is not None and len(issues) > limit:
                raise _TooLarge(pages.started_at)
        return SearchResult(issues, pages.started_at, pages.requests)

    dropped: set[str] = set()
    while retry_keys:
        try:
            return search(with_keys(jql, retry_keys)), retry_keys, dropped
        except JiraApiError as exc:
            if exc.status != 400:
                raise
            named = _named_keys(exc) & set(retry_keys)
            if not named:
                log.warning(
                    "Jira rejected the search with the keys kept for a retry, naming none of them; "
                    "searching without them and fetching them apart",
                    extra={"pair": rt.config.name, "error": exc.jira_message},
                )
                result = search(jql)
                extra, gone = _fetch_keys(rt, jql, retry_keys, search)
                return _merged(result, extra), [k for k in retry_keys if k not in gone], dropped | gone
            _log_dropped(rt, named, exc)
            dropped |= named
            retry_keys = [k for k in retry_keys if k not in named]
    return search(jql), [], dropped


def with_keys(jql: str, keys: list[str]) -> str:
    """``jql`` also matching the issues ``keys`` (its ordering kept)."""
    where, order = split_order(jql)
    clause = f"({where}) OR key in ({', '.join(quote(k) for k in keys)})"
    return f"{clause} ORDER BY {order}" if order else clause


def _named_keys(exc: JiraApiError) -> set[str]:
    """Issue keys a JQL error names ("An issue with key 'X' does not exist for field 'key'.",
    "The issue key 'X' for field 'key' is invalid.")."""
    return set(re.findall(r"'([A-Za-z][A-Za-z0-9_]*-\d+)'", exc.jira_message))


def _log_dropped(rt: PairRuntime, keys: set[str], exc: JiraApiError) -> None:
    log.warning(
        "Jira rejected issue keys kept for a retry; dropping them",
        extra={"pair": rt.config.name, "keys": sorted(keys), "error": exc.jira_message},
    )


def _fetch_keys(
    rt: PairRuntime, jql: str, keys: list[str], search: Callable[[str], SearchResult]
) -> tuple[SearchResult | None, set[str]]:
    """The issues ``keys`` by key. A rejected batch drops the keys Jira names and is halved
    otherwise; a single key refused without being named is kept for the next cycle.
    Returns what was found and the keys Jira named as gone."""
    _where, order = split_order(jql)
    found: SearchResult | None = None
    gone: set[str] = set()
    batches = [keys]
    while batches:
        batch = batches.pop()
        query = f"key in ({', '.join(quote(k) for k in batch)})" + (f" ORDER BY {order}" if order else "")
        try:
            found = _merged(found, search(query))
        except JiraApiError as exc:
            if exc.status != 400:
                raise
            named = _named_keys(exc) & set(batch)
            if named:
                _log_dropped(rt, named, exc)
                gone |= named
                rest = [k for k in batch if k not in named]
                if rest:
                    batches.append(rest)
            elif len(batch) > 1:
                half = len(batch) // 2
                batches += [batch[half:], batch[:half]]
    return found, gone


def _merged(first: SearchResult | None, second: SearchResult | None) -> SearchResult:
    if first is None or second is None:
        out = first or second
        assert out is not None
        return out
    known = {i.key for i in first.issues}
    issues = first.issues + [i for i in second.issues if i.key not in known]
    # The earlier start is the safe watermark: nothing changed after it is missed.
    return SearchResult(issues, min(first.started_at, second.started_at), first.requests + second.requests)
