"""The ``/health`` document: one typed report, built in one place (:func:`build_report`).

Two producers make the rows and feed the builder: the supervisor, from its children's
heartbeats over their pipes (:meth:`~jirasync_cli.runtime.supervisor.Supervisor.health_report`),
and ``jirasync health --serve``, from the heartbeats standalone workers store in MongoDB
(:func:`~jirasync_cli.health.probe.mongo_health`). :meth:`HealthReport.to_dict` is what
``/health`` serves; ``/metrics`` and the status page are rendered from that document.

Status: ``healthy`` when every worker runs (standby counts: another supervisor holds that
pair) and its last cycle succeeded; ``degraded`` when some are down or failing but at least
one pair syncs (still 200, so an orchestrator does not restart a container for one bad
pair); ``unhealthy`` with 503 when no pair syncs: none configured, no worker running, or
every one's cycles failing (MongoDB unreachable, say); a pair whose cycles run but fail
on single issues still syncs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

UP_STATES = frozenset({"running", "standby"})
# What a row says about the last cycle (keys of the worker's cycle digest).
CYCLE_KEYS = ("result", "mode", "startedAt", "durationSeconds", "issuesSeen", "actions", "errors")


def _section() -> Any:
    """A group of fields only one producer knows: flattened into the row or report, left out when None."""
    return dataclasses.field(default=None, metadata={"flatten": True})


def _optional() -> Any:
    """A key present only when its producer knows it (None: left out of the document)."""
    return dataclasses.field(default=None, metadata={"optional": True})


@dataclasses.dataclass(frozen=True, kw_only=True)
class Supervised:
    """What only a supervisor knows of a worker: its process, restarts and timing."""

    restarts: int
    last_exit: str | None
    heartbeat_age_seconds: float | None
    interval_seconds: float
    cycles: int
    last_success: str | None
    rss_bytes: int | None
    cpu_percent: float | None


@dataclasses.dataclass(frozen=True, kw_only=True)
class Stored:
    """What only the heartbeats stored in MongoDB tell: how many runners report for the pair."""

    instances: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class WorkerHealth:
    """One pair's row. A new figure is one field here (or in a section), filled by its producers."""

    name: str
    pid: int | None
    state: str  # starting | running | standby | backoff | failed | stopped
    ok: bool  # up, and its last cycle had no error at all
    last_heartbeat: str | None
    last_cycle: dict[str, Any] | None  # a digest: counts, never lists (see CYCLE_KEYS)
    jira_requests: dict[str, int]  # since the worker started, by kind
    error: str | None
    supervised: Supervised | None = _section()
    stored: Stored | None = _section()
    webhooks: dict[str, Any] | None = _optional()  # received, coalesced, age of the last one (listening pairs)

    @property
    def up(self) -> bool:
        return self.state in UP_STATES

    @property
    def syncs(self) -> bool:
        """Up, and its cycles run: one issue Jira refuses makes a pair not ``ok``, but it still
        syncs the rest; a cycle that could not run at all (MongoDB or Jira away) does not."""
        return self.up and (self.last_cycle or {}).get("result") != "failed"


@dataclasses.dataclass(frozen=True, kw_only=True)
class SupervisorFacts:
    version: str
    uptime_seconds: float
    loop_age_seconds: float  # /livez fails when the loop stalls


@dataclasses.dataclass(frozen=True, kw_only=True)
class StoredFacts:
    source: str = "mongodb"
    generated_at: str
    ts: float


@dataclasses.dataclass(frozen=True, kw_only=True)
class HealthReport:
    status: str  # healthy | degraded | unhealthy
    http_status: int
    supervisor: SupervisorFacts | None = _section()
    workers: tuple[WorkerHealth, ...]
    invalid_configs: tuple[str, ...]
    errors: tuple[str, ...]
    stored: StoredFacts | None = _section()
    webhooks: dict[str, Any] | None = _optional()  # deliveries received, accepted, ignored, rejected

    def to_dict(self) -> dict[str, Any]:
        """The JSON document ``/health`` serves (sections flattened in)."""
        doc: dict[str, Any] = _plain(self)
        return doc


def build_report(
    workers: Sequence[WorkerHealth],
    *,
    config_dir: str,
    invalid_configs: Sequence[str],
    problems: Sequence[str] = (),
    supervisor: SupervisorFacts | None = None,
    stored: StoredFacts | None = None,
    webhooks: dict[str, Any] | None = None,
) -> HealthReport:
    """The report of these rows: status, HTTP code and why nothing syncs, decided here only."""
    status, code = overall(workers)
    return HealthReport(
        status=status,
        http_status=code,
        supervisor=supervisor,
        workers=tuple(workers),
        invalid_configs=tuple(invalid_configs),
        errors=(*unhealthy_reason(workers, config_dir), *problems),
        stored=stored,
        webhooks=webhooks,
    )


def overall(workers: Sequence[WorkerHealth]) -> tuple[str, int]:
    """``healthy`` (every pair works), ``degraded`` (some pair syncs) or ``unhealthy`` (none does)."""
    if not any(w.syncs for w in workers):
        return "unhealthy", 503
    if all(w.up and w.ok for w in workers):
        return "healthy", 200
    return "degraded", 200


def unhealthy_reason(workers: Sequence[WorkerHealth], config_dir: str) -> list[str]:
    """One line saying why no pair syncs (empty when some pair does)."""
    if not workers:
        return [f"no pairs configured: no valid sync-*.json in {config_dir}"]
    if any(w.syncs for w in workers):
        return []
    if not any(w.up for w in workers):
        return ["no worker is running"]
    failing = "; ".join(f"{w.name}: {_why_not(w)}" for w in workers[:3])
    return [f"every pair is failing ({failing}{'; ...' if len(workers) > 3 else ''})"]


def _why_not(worker: WorkerHealth) -> str:
    if not worker.up:
        return worker.state
    return worker.error or "last cycle failed"


def iso(ts: float | None) -> str | None:
    """A Unix time as the report shows it (UTC, seconds)."""
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds") if ts else None


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        for f in dataclasses.fields(value):
            item = getattr(value, f.name)
            if f.metadata.get("flatten"):
                if item is not None:
                    out.update(_plain(item))
            elif f.metadata.get("optional") and item is None:
                continue
            else:
                out[f.name] = _plain(item)
        return out
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value
