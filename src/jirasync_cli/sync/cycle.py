"""One sync cycle of one pair: decide full or incremental, search once, plan, apply, advance.

Seed semantics, exactly:

* no ``last_sync`` and not ``initial_sync_completed`` → initial FULL sync (no time filter),
  unless the pair has ``initialSyncEnabled: false``: then incremental from now;
* no ``last_sync`` but ``initial_sync_completed`` → the state was lost: warn, incremental from
  now, no full resync;
* ``last_sync`` present → incremental from it (minus an overlap window).

The watermark is Jira's clock at the moment the search began, stored only after the
cycle's changes were applied. Issues that failed are re-fetched by key next cycle (so one
broken issue neither blocks the watermark nor gets lost).
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

from jirasync_cli.jira.client import RECONCILE_LIMIT, SearchResult
from jirasync_cli.jira.errors import JiraApiError
from jirasync_cli.jira.jql import quote, split_order, sync_jql
from jirasync_cli.sync import retry
from jirasync_cli.sync.actions import NoteKind
from jirasync_cli.sync.apply import UnitResult, apply_units
from jirasync_cli.sync.mode import Why, choose_mode
from jirasync_cli.sync.plan import (
    CyclePlan,
    PlanInput,
    plan_cycle,
    presumed_snapshot,
    unrecorded_own_dev_issues,
)
from jirasync_cli.sync.privacy import resolve_internal_flags
from jirasync_cli.sync.records import ActionKind
from jirasync_cli.sync.recovery import learn_initial_status, recover_pending
from jirasync_cli.sync.runtime import PairRuntime

log = logging.getLogger(__name__)

MAX_RETRY_KEYS = 200  # keys re-fetched by key per cycle (the rest wait); long queries go by POST


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
    created: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)
    unhandled: list[str] = field(default_factory=list)
    recovered: dict[str, int] = field(default_factory=dict)
    plan: CyclePlan | None = None

    @property
    def result(self) -> str:
        return "error" if self.errors else "ok"

    def summary(self) -> dict[str, Any]:
        return {
            "pair": self.pair, "cycle": self.cycle_id, "mode": self.mode, "dryRun": self.dry_run,
            "result": self.result, "startedAt": self.started_at.isoformat(),
            "since": self.since.isoformat() if self.since else None,
            "watermark": self.watermark.isoformat() if self.watermark else None,
            "durationSeconds": round(self.duration_seconds, 3), "issuesSeen": self.issues_seen,
            "unchanged": self.unchanged, "jiraRequests": self.jira_requests,
            "requestsByKind": dict(self.requests_by_kind),
            "actions": dict(self.actions), "created": [{"user": u, "dev": d} for u, d in self.created],
            "errors": self.errors, "deferred": self.deferred, "unhandled": self.unhandled,
            "recovered": self.recovered,
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

    mode = choose_mode(last_sync=state.last_sync, initial_sync_completed=state.initial_sync_completed,
                       watch_from=state.watch_from, initial_sync_enabled=cfg.initial_sync_enabled,
                       now=jira.server_now(), overlap=timedelta(seconds=rt.overlap_seconds))
    report.mode, report.since, watch_from = mode.name, mode.since, mode.watch_from
    if mode.why is Why.INITIAL:
        log.info("Running initial full sync", extra={"pair": cfg.name})
    elif mode.why is Why.STATE_LOST:
        log.warning("Last sync state lost, using current time for incremental sync", extra={"pair": cfg.name})
    elif mode.why is Why.INITIAL_DISABLED:
        log.info("Initial sync disabled, starting incremental sync from now", extra={"pair": cfg.name})

    if not dry_run:
        report.recovered = {k: v for k, v in recover_pending(rt).items() if v}

    jql = sync_jql(
        cfg.user_project_key, cfg.dev_project_key, user_filter=cfg.jql.user, dev_filter=cfg.jql.dev,
        since=report.since, zone=jira.me.time_zone,
    )
    retry_keys = retry.due(state.retry_keys, MAX_RETRY_KEYS) if report.since is not None else []
    result, retry_keys, dropped = _search(rt, jql, retry_keys, progress, state.reconcile_ids)
    report.issues_seen = len(result.issues)

    keys = [i.key for i in result.issues]
    # Dev issues linked from user issues too: a person's manual link may be adopted as the partner.
    linked = [link.other_key for i in result.issues for link in i.links]
    mappings = store.mappings_for(user_keys=keys, dev_keys=keys + linked)
    partner_keys = {m.dev_key for m in mappings if m.dev_key} | {m.user_key for m in mappings}
    snapshots = store.snapshots(set(keys) | partner_keys)
    # Data Center's search returns no properties: read the source property of our own dev
    # issues that we cannot place without it (lost mapping or snapshot); none when idle.
    mapped_dev = {m.dev_key for m in mappings if m.dev_key}
    jira.fill_source_properties(
        i for i in result.issues
        if i.project == cfg.dev_project_key and i.creator_id == jira.me.id
        and (i.key not in mapped_dev or i.key not in snapshots))
    plan_input = PlanInput(
        config=cfg, initial=report.mode == "full", snapshots=snapshots, mappings=mappings,
        sync_account=jira.me.id, retry_keys=frozenset(retry_keys),
    )
    resolve_internal_flags(rt, result.issues, snapshots)
    for issue in unrecorded_own_dev_issues(result.issues, plan_input):
        status = learn_initial_status(rt, issue.project, issue.issuetype, issue.key)
        if status:
            snapshots[issue.key] = presumed_snapshot(issue, status)
    plan = plan_cycle(result.issues, plan_input)
    report.plan = plan
    report.unchanged = plan.skipped_unchanged
    for unit in plan.units:
        report.unhandled += [n.text for n in unit.notes if n.kind is NoteKind.UNHANDLED]
    progress.planned(len(plan.units))
    if dry_run:
        report.actions.update(a.kind for u in plan.units for a in u.actions)
        report.duration_seconds = time.monotonic() - monotonic_start
        _count_requests(report, jira, requests_before)
        return report

    results = apply_units(rt, plan.units, report.cycle_id, progress=progress.applied)
    failures = _summarise(report, results, state.retry_keys)
    new_retry = retry.next_retry(state.retry_keys, failures, seen={i.key for i in result.issues}, dropped=dropped)
    for note in report.unhandled:
        log.debug(note, extra={"pair": cfg.name})
    if report.unhandled:  # one line: an initial sync may see a thousand of them
        log.info("issues moved to a status no rule handles", extra={"pair": cfg.name, "count": len(report.unhandled)})
    rt.check_lease()
    report.watermark = result.started_at
    report.duration_seconds = time.monotonic() - monotonic_start
    _count_requests(report, jira, requests_before)
    store.save_state(
        counts={**report.actions, "cycles": 1, "errors": len(report.errors),
                **{f"jira_requests_{k}": n for k, n in report.requests_by_kind.items()}},
        last_sync=result.started_at, initial_sync_completed=True, retry_keys=new_retry,
        reconcile_ids=_written_ids(result, results), watch_from=watch_from, last_cycle=report.summary(),
    )
    if report.mode == "full":
        log.info("Initial sync completed", extra={"pair": cfg.name, "issues": report.issues_seen,
                                                   "dev_issues_created": len(report.created)})
    return report


def _count_requests(report: CycleReport, jira: Any, before: dict[str, int]) -> None:
    """Every request the cycle sent, by kind, as the transport counted them."""
    after = jira.requests.snapshot()
    report.requests_by_kind = {k: n - before.get(k, 0) for k, n in after.items() if n - before.get(k, 0)}
    report.jira_requests = sum(report.requests_by_kind.values())


def _search(rt: PairRuntime, jql: str, retry_keys: list[str], progress: Progress,
            reconcile_ids: list[str]) -> tuple[SearchResult, list[str], set[str]]:
    """The cycle's one search, also re-fetching issues whose actions failed last time
    (whatever their ``updated``). Returns the result, the retry keys it covered and the
    keys Jira named as gone.

    Jira rejects the whole query if one of those keys no longer exists (deleted, moved) or
    is malformed: keys its 400 names are dropped; a 400 naming none of them is answered by
    searching without them and fetching them apart, so neither one broken key nor an
    unexplained 400 costs the others their retry."""
    def search(query: str) -> SearchResult:
        return rt.jira.search(query, on_page=progress.searched, reconcile_ids=reconcile_ids)

    dropped: set[str] = set()
    while retry_keys:
        try:
            return search(with_keys(jql, retry_keys)), retry_keys, dropped
        except JiraApiError as exc:
            if exc.status != 400:
                raise
            named = _named_keys(exc) & set(retry_keys)
            if not named:
                log.warning("Jira rejected the search with the keys kept for a retry, naming none of them; "
                            "searching without them and fetching them apart",
                            extra={"pair": rt.config.name, "error": exc.jira_message})
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
    log.warning("Jira rejected issue keys kept for a retry; dropping them",
                extra={"pair": rt.config.name, "keys": sorted(keys), "error": exc.jira_message})


def _fetch_keys(rt: PairRuntime, jql: str, keys: list[str],
                search: Callable[[str], SearchResult]) -> tuple[SearchResult | None, set[str]]:
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


def _written_ids(result: SearchResult, results: list[UnitResult]) -> list[str]:
    """Ids of the issues this cycle wrote to (those it saw): Cloud search is asked to
    reconcile them next cycle, so our own recent writes are not missing from it."""
    ids = {i.key: i.id for i in result.issues if i.id}
    out: list[str] = []
    for res in results:
        if any(d.wrote and d.kind is not ActionKind.ADOPT_MAPPING for d in res.done):
            out += [ids[k] for k in (res.user_key, res.dev_key) if k in ids]
    return list(dict.fromkeys(out))[:RECONCILE_LIMIT]


def _summarise(report: CycleReport, results: list[UnitResult], old_retry: dict[str, Any]) -> list[retry.Failure]:
    """Counts what the units did into the report; returns the units that did not finish."""
    failures: list[retry.Failure] = []
    for res in results:
        for done in res.done:
            if done.wrote and not done.recovered:
                report.actions[done.kind] += 1
            if done.kind is ActionKind.CREATE_ISSUE and done.detail.get("dev_key") and not done.recovered:
                report.created.append((res.user_key, done.detail["dev_key"]))
        if res.ok:
            continue
        reason = res.error or res.deferred or ""
        (report.errors if res.error else report.deferred).append(f"{res.user_key}: {reason}")
        failure = retry.Failure(res.user_key, res.dev_key, reason)
        failures.append(failure)
        if res.error:  # logged when it first happens (or changes), not again every cycle
            log.log(logging.INFO if retry.repeated(old_retry, failure) else logging.ERROR,
                    "sync of an issue failed; it will be retried next cycle",
                    extra={"user_key": res.user_key, "dev_key": res.dev_key, "error": res.error,
                           "attempts": retry.attempts(old_retry, failure)})
    return failures
