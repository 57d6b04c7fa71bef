"""``jirasync run-worker <name>``: one pair, forever, on its own schedule.

The loop: take the pair's lease (or stand by while another runner holds it), run a cycle,
report, sleep until the next slot of the interval grid. Failures (Jira or MongoDB away,
lease lost) are reported in heartbeats and retried with capped backoff, never a crash
loop. SIGTERM/SIGINT stop it between steps: in-flight writes finish, no new one starts,
the lease is released, exit 0. Supervised, it also exits when the supervisor disappears.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jirasync_cli import logs, secrets
from jirasync_cli.errors import JirasyncError
from jirasync_cli.runtime.memory import release_freed
from jirasync_cli.runtime.proctitle import set_title, worker_title
from jirasync_cli.runtime.timing import backoff, heartbeat_period, next_slot
from jirasync_cli.settings import Settings

if TYPE_CHECKING:
    from jirasync_cli.config.pair import PairConfig
    from jirasync_cli.settings import Settings
    from jirasync_cli.store import Lease, PairStore
    from jirasync_cli.sync.runtime import PairRuntime

log = logging.getLogger("jirasync.worker")


class _StopEvent(threading.Event):
    """Stopping also ends the loop's sleep, which waits on the wake-up event."""

    def __init__(self, wake: threading.Event) -> None:
        super().__init__()
        self._wake = wake

    def set(self) -> None:
        super().set()
        self._wake.set()


class Worker:
    def __init__(self, config: PairConfig, settings: Settings, *, interval: float, channel: Any = None) -> None:
        self.config = config
        self.settings = settings
        self.interval = interval
        self.channel = channel
        self.wake = threading.Event()  # a webhook nudge (or stop) ends the sleep between cycles
        self.stop = _StopEvent(self.wake)
        self.state = "starting"
        self.last_cycle: dict[str, Any] | None = None
        self.last_error: str | None = None
        self.last_success: float | None = None
        self.cycles = 0
        self.failures = 0
        self.busy_since: float | None = None
        self.instance: str | None = None  # the lease owner id, once running
        self.jira_requests: Any = None  # the Jira client's RequestCounter, once connected
        self._beat_lock = threading.Lock()

    # -- reporting --------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        return heartbeat_message(
            pid=os.getpid(),
            state=self.state,
            cycles=self.cycles,
            failures=self.failures,
            error=self.last_error,
            last_cycle=self.last_cycle,
            last_success=self.last_success,
            busy_seconds=round(time.monotonic() - self.busy_since, 1) if self.busy_since else None,
            jira_requests=self.jira_requests.snapshot() if self.jira_requests is not None else {},
        )

    def beat(self) -> None:
        if self.channel is not None:
            with self._beat_lock:
                self.channel.send(self.status())

    def _beat_loop(self) -> None:
        period = heartbeat_period(self.interval)
        while not self.stop.wait(period):
            self.beat()

    def nudge(self) -> None:
        """A webhook named this pair: run a cycle now instead of at the next poll."""
        self.wake.set()

    def _sleep_until(self, deadline: float) -> bool:
        """Sleep until ``deadline`` or a nudge; True when stopping. A nudge never shortens
        the backoff after a failed cycle (Jira or MongoDB away)."""
        while not self.stop.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            if self.wake.wait(remaining):
                self.wake.clear()
                if not self.stop.is_set() and self.failures == 0:
                    return False
        return True

    def _phase(self, phase: str) -> None:
        if self.channel is not None:  # the supervisor's webhook coalescing follows the cycles
            self.channel.send({"type": "cycle", "phase": phase})

    def _store_heartbeat(self, store: Any) -> None:
        try:
            store.write_heartbeat(self.instance, {k: v for k, v in self.status().items() if k != "type"})
        except JirasyncError:
            pass  # MongoDB away: the supervisor channel still reports

    # -- main loop ----------------------------------------------------------------------
    def _cycle(self, run_cycle: Any, rt: Any) -> None:
        """One cycle; only its digest outlives it (the report and all it refers to are
        freed before the idle wait, so an idle worker returns to its idle size)."""
        report = run_cycle(rt)
        self.busy_since = None
        self.cycles += 1
        self.failures = 0
        self.last_cycle = cycle_digest(report.summary())
        self.last_error = "; ".join(report.errors[:3]) or None
        if not report.errors:
            self.last_success = time.time()
        log.info(
            "cycle finished",
            extra={
                "mode": report.mode,
                "issues": report.issues_seen,
                "actions": dict(report.actions),
                "errors": report.counts()["errors"],
                "duration_seconds": round(report.duration_seconds, 3),
                "jira_requests": report.jira_requests,
                "jira_requests_by_kind": report.requests_by_kind,
            },
        )
        seen = report.issues_seen
        del report
        release_freed(seen)

    def run(self) -> int:
        from jirasync_cli.runtime.wiring import open_runtime, open_store
        from jirasync_cli.store import Lease, LeaseBusy, LeaseLost, holding, owner_id
        from jirasync_cli.store.mongo import quiet_idle_threads
        from jirasync_cli.sync.cycle import run_cycle

        quiet_idle_threads()  # a worker is idle most of its life

        instance = self.instance = owner_id(self.config.name)
        threading.Thread(target=self._beat_loop, name="heartbeat", daemon=True).start()
        self.beat()
        store: PairStore | None = None
        lease: Lease | None = None
        rt: PairRuntime | None = None
        start = next_run = time.monotonic()
        ttl = self.settings.lease_ttl_seconds
        log.info("worker started", extra={"interval_seconds": self.interval, "database": self.config.db_name})
        while not self.stop.is_set():
            if self._sleep_until(next_run):
                break
            attempt_started = time.time()
            try:
                if store is None or lease is None:
                    store = open_store(self.config, self.settings)
                    lease = Lease(store.client, self.config.db_name, instance, ttl)
                with holding(lease, store):
                    if rt is None:
                        rt = open_runtime(self.config, self.settings, cancel=self.stop, store=store, lease=lease)
                        self.jira_requests = rt.jira.requests
                    self.state, self.busy_since = "running", time.monotonic()
                    self.beat()
                    self._store_heartbeat(store)  # standalone health sees a long first cycle as running
                    self.wake.clear()  # this cycle covers every nudge until now
                    self._phase("started")
                    try:
                        self._cycle(run_cycle, rt)
                    finally:
                        self._phase("finished")
                self.beat()
                self._store_heartbeat(store)
                next_run = next_slot(start, self.interval, time.monotonic())
            except LeaseBusy as exc:
                if self.state != "standby":
                    log.info("another runner holds the lease; standing by", extra={"holder": exc.holder})
                self.state, self.last_error = "standby", None
                self.beat()
                self._store_heartbeat(store)
                next_run = time.monotonic() + min(ttl / 3, self.interval)
            except LeaseLost as exc:
                self.busy_since = None
                log.warning("lease lost; standing by", extra={"error": str(exc)})
                self.state, self.last_error = "standby", str(exc)
                self.beat()
                next_run = time.monotonic() + min(ttl / 3, self.interval)
            except JirasyncError as exc:
                self.busy_since = None
                if self.stop.is_set():
                    break
                self.failures += 1
                self.state, self.last_error = "error", str(exc)
                # Health must not go on showing the last good cycle as the last one.
                self.last_cycle = failed_cycle(attempt_started)
                delay = min(self.interval, backoff(self.failures, base=1.0, factor=2.0, cap=300.0))
                log.error(
                    "cycle failed; retrying",
                    extra={"error": str(exc), "retry_in_seconds": round(delay, 1), "failures": self.failures},
                )
                self.beat()
                if store is not None:
                    self._store_heartbeat(store)
                next_run = time.monotonic() + delay
        self.state = "stopped"
        self.beat()
        if store is not None:
            self._store_heartbeat(store)  # standalone health must not count us as running
        if lease is not None:
            lease.release()
        if rt is not None:
            rt.jira.close()
        log.info("worker stopped")
        return 0


HEARTBEAT_MAX_BYTES = 2048
ERROR_TEXT_CHARS = 500
DIGEST_KEYS = ("result", "mode", "startedAt", "durationSeconds", "issuesSeen", "actions")


def cycle_digest(summary: dict[str, Any]) -> dict[str, Any]:
    """What a heartbeat says about the last cycle: counts, never lists. A heartbeat goes out
    every few seconds whatever the cycle did (an initial sync creates tens of thousands of
    issues); the full report is in the log line ``cycle finished`` and in MongoDB."""
    digest = {k: summary.get(k) for k in DIGEST_KEYS}
    digest["actions"] = {str(k)[:40]: v for k, v in list((summary.get("actions") or {}).items())[:20]}
    digest["errors"] = (summary.get("counts") or {}).get("errors", len(summary.get("errors") or ()))
    return digest


def failed_cycle(started: float) -> dict[str, Any]:
    """The digest of a cycle that could not run or finish (Jira or MongoDB away, ...)."""
    return {
        "result": "failed",
        "mode": None,
        "startedAt": datetime.fromtimestamp(started, UTC).isoformat(timespec="seconds"),
        "durationSeconds": round(time.time() - started, 3),
        "issuesSeen": None,
        "actions": {},
        "errors": 1,
    }


def heartbeat_message(*, error: str | None, last_cycle: dict[str, Any] | None, **fields: Any) -> dict[str, Any]:
    """A heartbeat, secrets redacted, at most :data:`HEARTBEAT_MAX_BYTES` encoded, whatever it carries."""
    if error is not None:
        error = secrets.redact(str(error))
        if len(error) > ERROR_TEXT_CHARS:
            error = error[:ERROR_TEXT_CHARS] + "..."
    message = {"type": "heartbeat", **fields, "ts": time.time(), "error": error, "last_cycle": last_cycle}
    message = secrets_free(message)
    if len(json.dumps(message, default=str)) > HEARTBEAT_MAX_BYTES:  # only if a digest grew unexpectedly
        message["last_cycle"] = {k: (last_cycle or {}).get(k) for k in ("result", "mode", "errors")}
        message["error"] = error[:200] if error else error
    return message


def secrets_free(message: dict[str, Any]) -> dict[str, Any]:
    redacted: dict[str, Any] = json.loads(secrets.redact(json.dumps(message, default=str)))
    return redacted


def _install_signals(stop: threading.Event) -> None:
    def handler(signum: int, frame: Any) -> None:
        if stop.is_set():
            return
        log.info("stop requested", extra={"signal": signal.Signals(signum).name})
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def main(name: str, config_dir: Path, settings: Settings) -> int:
    """``run-worker`` without ``--once``, standalone: reads its config itself."""
    from jirasync_cli.runtime.wiring import find_config

    logs.configure(settings.log_level, settings.log_format, worker=name)
    config = find_config(config_dir, name)
    set_title(worker_title(config.name))
    logs.set_worker(config.name)
    if config.webhooks.enabled:  # only a supervisor receives webhooks: poll on the usual interval
        log.warning("webhooks need `jirasync supervise`; this standalone worker polls every syncIntervalMinutes")
    worker = Worker(config, settings, interval=config.interval_seconds(settings.sync_interval_minutes, listening=False))
    _install_signals(worker.stop)
    return worker.run()


def _naming(send: Callable[[dict[str, Any]], None], site: str) -> Callable[[dict[str, Any]], None]:
    """``send`` adding the site a message is about (a cross-site worker has two budgets)."""
    return lambda message: send({**message, "site": site})


def supervised_main(name: str, ipc_fd: int) -> int:
    """``run-worker <name> --ipc-fd N`` under a supervisor: config and settings over the pipe.

    Started straight from ``python -m jirasync_cli`` without the CLI framework, to keep the
    per-pair process small.
    """
    from jirasync_cli.config.pair import PairConfig
    from jirasync_cli.jira import pacing
    from jirasync_cli.jira.pacing import BorrowingPacer
    from jirasync_cli.runtime.ipc import WorkerChannel

    set_title(worker_title(name))
    channel = WorkerChannel(ipc_fd, sys.stdin.fileno())
    try:
        message = channel.receive_config()
        settings = Settings.from_dict(message["settings"])
        config = PairConfig.from_dict(message["config"])  # validated by the supervisor's loader
        interval = float(message["interval_seconds"])
    except (EOFError, ValueError, KeyError, TypeError) as exc:
        print(f"error: no configuration from the supervisor: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    for site in {config.user_site, config.dev_site}:
        secrets.register(site.api_token.get_secret_value())
    logs.configure(settings.log_level, settings.log_format, worker=name)
    logs.set_worker(config.name)
    worker = Worker(config, settings, interval=interval, channel=channel)
    _install_signals(worker.stop)
    # The site's rate budget is the supervisor's: this worker borrows tokens from it. A
    # cross-site pair borrows from each of its two sites, naming the site in its messages.
    batch = max(1, int(config.jira.concurrency) * 2)
    pacer = BorrowingPacer(channel.send, cancel=worker.stop, batch=batch)
    pacers = (
        {
            site.base_url: BorrowingPacer(
                _naming(channel.send, site.base_url), cancel=worker.stop, batch=max(1, site.concurrency * 2)
            )
            for site in (config.user_site, config.dev_site)
        }
        if config.cross_site
        else {}
    )
    pacing.lend_from(lambda site, rate, ceiling, cancel: pacers.get(site, pacer))

    def parent_gone() -> None:
        if not worker.stop.is_set():
            log.warning("supervisor is gone; stopping")
            worker.stop.set()
        for each in (pacer, *pacers.values()):
            each.wake()

    def on_message(message: dict[str, Any]) -> None:
        if message.get("type") == "grant":
            pacers.get(str(message.get("site")), pacer).granted(int(message.get("n") or 0))
        elif message.get("type") == "cycle":
            worker.nudge()

    channel.watch_parent(parent_gone, on_message)
    return worker.run()
