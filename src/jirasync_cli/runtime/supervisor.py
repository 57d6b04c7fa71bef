"""``jirasync supervise``: one ``run-worker`` child per pair, kept alive.

Single-threaded event loop over a self-pipe (signals) and the children's pipes. Every event
costs O(1) (O(log n) for timers), whatever the number of pairs: pipes are indexed by fd in
the selector, exited children by pid, and every deadline (a start after backoff, a
heartbeat timeout, a kill after the grace, a token grant) sits in one heap, checked lazily
when it comes due:

* the rate budget of each Jira site is here (:class:`~jirasync_cli.runtime.rate_budget.SiteBudget`):
  workers ask for batches of tokens over their pipe and get them in turn on their stdin, so
  an idle pair costs the busy ones nothing; Jira's warnings and 429s reported by any worker
  slow the whole site;

* a dead child is noticed at once (SIGCHLD wakes the loop), logged with its exit code or
  signal, and restarted. A child that failed on its own (non-zero exit, a fault signal such
  as SIGSEGV, or hung and killed by us) waits a capped exponential backoff with jitter
  (0.1 s, x1.5, cap 15 s; reset after 30 s of stable running); after 5 such fast failures in
  a row it is reported ``failed`` and retried every 60 s, so an outage never needs a human.
  A child stopped from outside (SIGKILL/SIGTERM by an operator, an orchestrator, the OOM
  killer) is restarted promptly (the same backoff, capped at 2 s) and never marked ``failed``:
  nothing is wrong with the pair itself;
* a child silent for longer than its heartbeat timeout (derived from its interval) is hung:
  its process group gets SIGTERM (and SIGCONT, so a stopped one can act on it), then SIGKILL
  once after a grace; one log line per hang, then the loop waits for the reap;
* SIGHUP re-reads the config dir: new pairs start, removed ones stop, changed ones restart,
  the rest are left untouched (a pair whose site gained or lost a pair gets its new rate
  share over its stdin pipe, without a restart). Exception: started with stdin on a
  terminal (and without ``--reload-on-hup``), SIGHUP means the terminal hung up and stops
  everything like SIGTERM;
* SIGTERM/SIGINT: TERM every child's group, wait, KILL stragglers, reap, exit 0.

Children run in their own process groups and watch their stdin: when the supervisor dies,
their stdin reaches EOF and they exit.
"""

from __future__ import annotations

import dataclasses
import hashlib
import heapq
import itertools
import json
import logging
import os
import selectors
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jirasync_cli import __version__
from jirasync_cli.health.report import (
    CYCLE_KEYS,
    UP_STATES,
    HealthReport,
    Supervised,
    SupervisorFacts,
    WorkerHealth,
    build_report,
    iso,
)
from jirasync_cli.health.sampler import ProcessSampler
from jirasync_cli.runtime.ipc import LineReader, encode
from jirasync_cli.runtime.proctitle import set_title, supervisor_title
from jirasync_cli.runtime.rate_budget import DEFAULT_CEILING, SiteBudget
from jirasync_cli.runtime.timing import backoff, heartbeat_timeout
from jirasync_cli.settings import Settings
from jirasync_cli.webhooks.hub import Hub

log = logging.getLogger("jirasync.supervisor")

STABLE_SECONDS = 30.0
FAST_FAILURES_BEFORE_FAILED = 5
SLOW_RETRY_SECONDS = 60.0
STOP_GRACE_SECONDS = 10.0
HUNG_GRACE_SECONDS = 5.0  # a hung worker gets this long after SIGTERM before SIGKILL
EXTERNAL_KILL_BACKOFF_CAP = 2.0
# Signals a process receives from its own faults: dying of one is the worker's own failure.
FAULT_SIGNALS = frozenset(
    {
        signal.SIGSEGV,
        signal.SIGBUS,
        signal.SIGILL,
        signal.SIGFPE,
        signal.SIGABRT,
        signal.SIGSYS,
        signal.SIGTRAP,
        signal.SIGXCPU,
        signal.SIGXFSZ,
    }
)
WEBHOOKS = object()  # selector data of the webhook receiver's wake-up pipe
LOOP_STALL_SECONDS = 30.0  # /livez fails when the loop has not turned for this long (it turns every <= 1 s,
# but stopping a changed worker on SIGHUP may hold it for STOP_GRACE_SECONDS)


def _stdin_is_terminal() -> bool:
    try:
        return os.isatty(0)
    except OSError:
        return False


def config_message(wire: dict[str, Any], interval: float, settings: Settings) -> dict[str, Any]:
    # No share of the site's rate in here: the budget is lent at run time, so a pair added to
    # the site changes nothing for the others (and restarts none of them).
    return {"type": "config", "config": wire, "interval_seconds": interval, "settings": settings.for_worker()}


def pair_sites(pair: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The Jira sites a pair works on, each with its connection settings: one, or a
    cross-site pair's two (user site first)."""
    config = pair["config"]
    out: dict[str, dict[str, Any]] = {}
    for block in (config.get("user_jira"), config.get("dev_jira"), config.get("jira")):
        if isinstance(block, dict) and block.get("base_url") and block["base_url"] not in out:
            out[block["base_url"]] = block
    return list(out.items()) or [(pair["site"], config.get("jira") or {})]


def load_configs(settings: Settings) -> dict[str, Any]:
    """Validate the config dir in a child process (see :mod:`jirasync_cli.config.export`)."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "jirasync_cli.config.export",
            str(settings.config_dir),
            str(settings.sync_interval_minutes),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"config loader failed: {last}")
    configs: dict[str, Any] = json.loads(done.stdout)
    return configs


def config_digest(message: dict[str, Any]) -> str:
    """What makes a worker restart when it changes. The message carries no share of the
    site's rate (lent at run time), so pairs added to its site change nothing here."""
    return hashlib.sha256(json.dumps(message, sort_keys=True).encode()).hexdigest()


@dataclass
class Child:
    name: str
    message: dict[str, Any]
    digest: str
    interval: float
    proc: subprocess.Popen[bytes] | None = None
    fd: int | None = None
    reader: LineReader = field(default_factory=LineReader)
    state: str = "starting"  # starting | running | standby | backoff | failed | stopped
    restarts: int = 0
    fast_failures: int = 0
    started_at: float = 0.0
    last_heartbeat: float | None = None  # monotonic
    last_heartbeat_wall: float | None = None
    status: dict[str, Any] = field(default_factory=dict)  # the last heartbeat's content
    next_start: float = 0.0
    last_exit: str | None = None
    stopping: bool = False
    external_kills: int = 0  # in a row, each within STABLE_SECONDS of its start
    hung_since: float | None = None  # monotonic time we sent SIGTERM to a hung child
    hung_killed: bool = False  # SIGKILL sent after the grace
    site: str = ""  # the Jira site whose rate budget it borrows from
    sites: tuple[str, ...] = ()  # a cross-site pair's: it borrows from each (its messages name the site)
    gen: int = 0  # bumped when the child's timers become stale (spawn, exit, stop)

    @property
    def pid(self) -> int | None:
        # Never poll() here (the health thread reads this): only the loop reaps, by pid.
        return self.proc.pid if self.proc is not None and self.proc.returncode is None else None

    @property
    def timeout(self) -> float:
        return heartbeat_timeout(self.interval)

    def health(self, now: float, rss_bytes: int | None, cpu_percent: float | None) -> WorkerHealth:
        """Its ``/health`` row, from its last heartbeat (``now``: monotonic)."""
        status = self.status or {}
        error = status.get("error")
        last_cycle = status.get("last_cycle") or None
        return WorkerHealth(
            name=self.name,
            pid=self.pid,
            state=self.state,
            ok=self.state in UP_STATES and not error and status.get("state") != "error",
            last_heartbeat=iso(self.last_heartbeat_wall),
            last_cycle={k: last_cycle.get(k) for k in CYCLE_KEYS} if last_cycle else None,
            jira_requests=status.get("jira_requests") or {},
            error=error,
            supervised=Supervised(
                restarts=self.restarts,
                last_exit=self.last_exit,
                heartbeat_age_seconds=round(now - self.last_heartbeat, 1) if self.last_heartbeat else None,
                interval_seconds=self.interval,
                cycles=status.get("cycles", 0),
                last_success=iso(status.get("last_success")),
                rss_bytes=rss_bytes,
                cpu_percent=cpu_percent,
            ),
        )


def own_failure(code: int, killed_as_hung: bool) -> bool:
    """Did the worker fail by itself (count it towards ``failed``), or was it stopped from outside?

    Exit 0 happens only after a SIGTERM/SIGINT the supervisor did not send (it always exits
    non-zero on its own errors); a signal counts as its own failure only if it is a fault
    signal (SIGSEGV, SIGABRT, ...) or the supervisor killed it for hanging.
    """
    if killed_as_hung:
        return True
    if code < 0:
        return -code in FAULT_SIGNALS
    return code != 0


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


class Supervisor:
    def __init__(self, settings: Settings, worker_command: list[str] | None = None) -> None:
        self.settings = settings
        self.config_dir = settings.config_dir
        self.health_host = settings.health_host
        self.health_port = settings.health_port
        self.worker_command = worker_command or [sys.executable, "-m", "jirasync_cli", "run-worker"]
        self.children: dict[str, Child] = {}
        self.by_pid: dict[int, Child] = {}
        self.sites: dict[str, SiteBudget] = {}
        self.timers: list[tuple[float, int, str, Any, int]] = []  # (when, seq, kind, target, generation)
        self._seq = itertools.count()
        self.selector = selectors.DefaultSelector()
        self.started = time.time()
        self.loop_beat = time.monotonic()  # liveness: the loop is turning
        self.problems: list[str] = []
        self._stop = False
        self._reload = False
        # In a terminal's foreground, SIGHUP is the terminal hanging up (closed window, lost
        # SSH session): stop cleanly, as the signal's default would, instead of reloading.
        # Anywhere else (container, service manager, stdin redirected) it is a reload request.
        self.hup_reloads = settings.reload_on_hup or not _stdin_is_terminal()
        self._hung_up = False
        self._child_exited = False
        self._last_reap = 0.0
        self.health_server: Any = None
        self.sampler = ProcessSampler()
        self.webhooks = Hub(settings.webhook_secret)  # POST /webhook -> coalesced cycle nudges

    # -- configs ----------------------------------------------------------------------
    def desired(self) -> dict[str, Child] | None:
        """The workers the config dir asks for; None if it could not be read at all."""
        try:
            result = load_configs(self.settings)
        except (OSError, RuntimeError, ValueError, subprocess.TimeoutExpired) as exc:
            log.error("cannot load configs; keeping the current workers", extra={"error": str(exc)})
            return None
        self.problems = result["problems"]
        for line in self.problems:
            log.warning("invalid config skipped", extra={"problem": line})
        if result["missing_directory"]:
            log.error("config directory does not exist", extra={"config_dir": str(self.config_dir)})
        rates: dict[str, tuple[float, float]] = {}
        wanted = {}
        listeners = []
        for pair in result["pairs"]:
            hooks = pair["config"].get("webhooks") or {}
            if hooks.get("enabled"):
                listeners.append(
                    {
                        "name": pair["name"],
                        "site": pair["site"],
                        "debounce": hooks.get("debounce_seconds", 0.5),
                        "recheck": hooks.get("recheck_seconds", 5.0),
                        "projects": (pair["config"]["user_project_key"], pair["config"]["dev_project_key"]),
                        "sites": [site for site, _ in pair_sites(pair)],
                    }
                )
            for site, jira in pair_sites(pair):
                start = float(jira.get("max_requests_per_second") or 10.0)
                ceiling = max(start, float(jira.get("max_requests_per_second_ceiling") or DEFAULT_CEILING))
                low = rates.get(site, (start, ceiling))  # pairs disagree: the site gets the lowest
                rates[site] = (min(low[0], start), min(low[1], ceiling))
            message = config_message(pair["config"], pair["interval_seconds"], self.settings)
            wanted[pair["name"]] = Child(
                pair["name"],
                message,
                config_digest(message),
                pair["interval_seconds"],
                site=pair["site"],
                sites=tuple(site for site, _ in pair_sites(pair)),
            )
        for site, (start, ceiling) in rates.items():
            if site in self.sites:
                self.sites[site].adaptive.reconfigure(start, ceiling)  # keeps what it learnt of the site
            else:
                self.sites[site] = SiteBudget(start, ceiling)
        for site in set(self.sites) - set(rates):
            del self.sites[site]
        self.webhooks.configure(listeners)
        if listeners and self.webhooks.receiver.secret is None:
            log.warning(
                "webhooks enabled without JIRASYNC_WEBHOOK_SECRET: unsigned deliveries are accepted",
                extra={"pairs": [p["name"] for p in listeners]},
            )
        return wanted

    def reload(self) -> None:
        wanted = self.desired()
        if wanted is None:
            return
        for name in list(self.children):
            if name not in wanted:
                log.info("pair removed: stopping its worker", extra={"pair": name})
                self.stop_children([self.children.pop(name)])
        for name, child in wanted.items():
            current = self.children.get(name)
            if current is None:
                log.info("pair added: starting its worker", extra={"pair": name})
                self.children[name] = child
                self._at(0.0, "start", child)
            elif current.digest != child.digest:
                log.info("pair changed: restarting its worker", extra={"pair": name})
                self.stop_children([current])
                self.children[name] = child
                self._at(0.0, "start", child)
        log.info("configuration loaded", extra={"pairs": sorted(self.children), "invalid": len(self.problems)})
        if not self.children:
            # Running with nothing to do looks like success from outside: say it loudly (and /health does).
            log.warning(
                "no pairs configured: nothing to sync",
                extra={
                    "config_dir": str(self.config_dir),
                    "invalid": len(self.problems),
                    "hint": "add a valid sync-*.json, then send SIGHUP",
                },
            )

    # -- children ---------------------------------------------------------------------
    def spawn(self, child: Child) -> None:
        # MALLOC_ARENA_MAX: glibc gives each thread its own arena; two keep an idle worker small.
        env = {"MALLOC_ARENA_MAX": "2", **os.environ, "PYTHONUNBUFFERED": "1", "JIRASYNC_WORKER": child.name}
        try:
            read_fd, write_fd = os.pipe()  # may fail when file descriptors run out: retried like a crash
        except OSError as exc:
            log.error("cannot start worker", extra={"pair": child.name, "error": str(exc)})
            child.started_at = time.monotonic()
            self._schedule_restart(child, child.started_at, own=True)
            return
        os.set_blocking(read_fd, False)
        try:
            proc = subprocess.Popen(
                [*self.worker_command, child.name, "--ipc-fd", str(write_fd)],
                stdin=subprocess.PIPE,
                pass_fds=(write_fd,),
                start_new_session=True,
                env=env,
            )
        except OSError as exc:
            os.close(read_fd)
            os.close(write_fd)
            log.error("cannot start worker", extra={"pair": child.name, "error": str(exc)})
            child.started_at = time.monotonic()
            self._schedule_restart(child, child.started_at, own=True)
            return
        os.close(write_fd)
        assert proc.stdin is not None
        try:
            proc.stdin.write(encode(child.message))
            proc.stdin.flush()  # stdin stays open: its EOF tells the child we are gone
        except BrokenPipeError:
            pass
        child.proc, child.fd, child.reader = proc, read_fd, LineReader()
        child.state, child.started_at = "starting", time.monotonic()
        child.last_heartbeat, child.status, child.stopping = None, {}, False
        child.hung_since, child.hung_killed = None, False
        os.set_blocking(proc.stdin.fileno(), False)  # a grant never blocks the loop on a stuck child
        child.gen += 1
        self.by_pid[proc.pid] = child
        self._at(child.started_at + child.timeout, "silence", child)
        self.selector.register(read_fd, selectors.EVENT_READ, child)
        log.info("worker started", extra={"pair": child.name, "pid": proc.pid, "restarts": child.restarts})

    def _close_channel(self, child: Child) -> None:
        for site in child.sites or (child.site,):
            budget = self.sites.get(site)
            if budget is not None:
                budget.forget(child.name)
        if child.fd is not None:
            try:
                self.selector.unregister(child.fd)
            except (KeyError, ValueError):
                pass
            os.close(child.fd)
            child.fd = None
        if child.proc is not None and child.proc.stdin is not None:
            try:
                child.proc.stdin.close()
            except OSError:
                pass

    def _kill_group(self, child: Child, sig: int) -> None:
        if child.proc is None or child.proc.returncode is not None:
            return
        try:
            os.killpg(child.proc.pid, sig)
        except ProcessLookupError:
            pass
        except PermissionError:
            child.proc.send_signal(sig)

    def read_heartbeats(self, child: Child) -> None:
        assert child.fd is not None
        while True:
            try:
                data = os.read(child.fd, 65536)
            except BlockingIOError:
                return
            except OSError:
                data = b""
            if not data:
                self._close_channel(child)
                return
            messages = child.reader.feed(data)
            for error in child.reader.take_errors():
                # The worker is alive (it wrote), but what it said is lost: say so, loudly.
                log.error("heartbeat from worker dropped", extra={"pair": child.name, "error": error})
                child.last_heartbeat = time.monotonic()
            for message in messages:
                kind = message.get("type")
                if kind == "heartbeat":
                    child.last_heartbeat = time.monotonic()
                    child.last_heartbeat_wall = time.time()
                    child.status = message
                    if not child.stopping and message.get("state") in ("running", "standby", "error"):
                        child.state = "standby" if message["state"] == "standby" else "running"
                elif kind in ("tokens", "rate"):
                    self.on_rate_message(child, message)
                elif kind == "cycle":
                    due = self.webhooks.cycle(child.name, str(message.get("phase")), time.monotonic())
                    if due is not None:
                        heapq.heappush(self.timers, (due, next(self._seq), "webhook", child.name, 0))

    # -- webhooks -----------------------------------------------------------------------
    def on_webhooks(self) -> None:
        """Deliveries the receiver queued: arm each concerned pair's debounce timer."""
        for name, due in self.webhooks.drain(time.monotonic()):
            heapq.heappush(self.timers, (due, next(self._seq), "webhook", name, 0))

    def nudge(self, name: str, now: float) -> None:
        child = self.children.get(name)
        if child is not None and self.webhooks.fire(name, now):
            self._send(child, {"type": "cycle"})  # the worker runs a cycle now; it reads Jira as usual

    # -- the sites' rate budgets ------------------------------------------------------
    def on_rate_message(self, child: Child, message: dict[str, Any]) -> None:
        # A cross-site worker names the site it asks of; a single-site one needs not.
        site = str(message["site"]) if message.get("site") in child.sites else child.site
        budget = self.sites.get(site)
        if budget is None:
            return
        try:
            want, clean = int(message.get("want") or 1), int(message.get("clean") or 0)
            retry_after = float(message["retry_after"]) if message.get("retry_after") is not None else None
        except (TypeError, ValueError):
            log.error("malformed rate message from worker dropped", extra={"pair": child.name})
            return
        now = time.monotonic()
        if message["type"] == "tokens":
            budget.ask(child.name, want, clean, now)
        else:
            budget.signal(str(message.get("signal")), retry_after, now)
        self.grant(site, now)

    def grant(self, site: str, now: float) -> None:
        budget = self.sites[site]
        for name, n in budget.grant_due(now):
            child = self.children.get(name)
            if child is not None:
                cross = len(child.sites) > 1
                self._send(child, {"type": "grant", "n": n, **({"site": site} if cross else {})})
        due = budget.next_grant(now)
        if due is not None and (budget.due is None or due < budget.due):
            budget.due = due  # one pending grant timer per site, the earliest
            heapq.heappush(self.timers, (due, next(self._seq), "grant", site, 0))

    def _send(self, child: Child, message: dict[str, Any]) -> None:
        if child.proc is None or child.proc.stdin is None or child.proc.stdin.closed:
            return
        try:
            os.write(child.proc.stdin.fileno(), encode(message))
        except (BlockingIOError, BrokenPipeError, OSError):
            pass  # a child that does not read its stdin is hung or gone: the loop deals with that

    def reap(self, sweep: bool = False) -> None:
        """Collect every exited child (one ``waitpid`` each, whatever the number of pairs).

        ``sweep`` (every few seconds, not per event) also finds a child whose exit status was
        collected elsewhere (a ``Popen.poll`` somewhere), which ``waitpid`` no longer reports."""
        if sweep:
            exited = [
                (c.proc.pid, c) for c in self.by_pid.values() if c.proc is not None and c.proc.returncode is not None
            ]
            for pid, child in exited:
                self.by_pid.pop(pid, None)
                self._exited(child)
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            reaped = self.by_pid.pop(pid, None)
            if reaped is None or reaped.proc is None or reaped.proc.pid != pid:
                continue
            reaped.proc.returncode = os.waitstatus_to_exitcode(status)
            self._exited(reaped)

    def _exited(self, child: Child) -> None:
        assert child.proc is not None and child.proc.returncode is not None
        now = time.monotonic()
        code = child.proc.returncode
        child.gen += 1
        if child.fd is not None:
            self.read_heartbeats(child)  # last words
        self._close_channel(child)
        self.webhooks.reset(child.name)
        child.proc = None
        child.last_exit = describe_exit(code)
        if child.stopping:
            child.state = "stopped"
            return
        own = own_failure(code, child.hung_since is not None)
        log.log(
            logging.ERROR if own else logging.WARNING,
            "worker exited",
            extra={
                "pair": child.name,
                "exit": child.last_exit,
                "ran_seconds": round(now - child.started_at, 1),
                "cause": "own failure" if own else "stopped from outside",
            },
        )
        self._schedule_restart(child, now, own=own)

    def _schedule_restart(self, child: Child, now: float, *, own: bool) -> None:
        child.restarts += 1
        if now - child.started_at >= STABLE_SECONDS:
            child.fast_failures = child.external_kills = 0
        if not own:
            # Killed or stopped from outside: nothing says the pair is broken. Come back soon,
            # and never count it towards ``failed`` (which would keep the pair down 60 s).
            child.external_kills += 1
            child.state = "backoff"
            child.next_start = now + backoff(child.external_kills, cap=EXTERNAL_KILL_BACKOFF_CAP)
            self._at(child.next_start, "start", child)
            return
        child.fast_failures += 1
        if child.fast_failures > FAST_FAILURES_BEFORE_FAILED:
            child.state = "failed"
            delay = SLOW_RETRY_SECONDS
            if child.fast_failures == FAST_FAILURES_BEFORE_FAILED + 1:
                log.error(
                    "worker keeps failing; marked failed, retrying slowly",
                    extra={"pair": child.name, "retry_seconds": delay},
                )
        else:
            child.state = "backoff"
            delay = backoff(child.fast_failures)
        child.next_start = now + delay
        self._at(child.next_start, "start", child)

    # -- timers -----------------------------------------------------------------------
    def _at(self, when: float, kind: str, target: Any) -> None:
        gen = target.gen if isinstance(target, Child) else 0
        heapq.heappush(self.timers, (when, next(self._seq), kind, target, gen))

    def run_timers(self) -> None:
        """Handle every timer that came due. Stale ones (the child was restarted or stopped
        since) are dropped; a heartbeat deadline is re-armed from the last heartbeat."""
        now = time.monotonic()
        while self.timers and self.timers[0][0] <= now:
            _, _, kind, target, gen = heapq.heappop(self.timers)
            if kind == "grant":
                budget = self.sites.get(target)
                if budget is not None and budget.due is not None and budget.due <= now:
                    budget.due = None
                    self.grant(target, now)
                continue
            if kind == "webhook":
                self.nudge(target, now)
                continue
            child: Child = target
            if gen != child.gen or self.children.get(child.name) is not child:
                continue
            if kind == "start":
                if child.proc is None and not child.stopping and child.state != "stopped" and now >= child.next_start:
                    self.spawn(child)
            elif kind == "silence":
                self._check_silence(child, now)
            elif kind == "kill":
                self._kill_hung(child)

    def _check_silence(self, child: Child, now: float) -> None:
        """One SIGTERM (and SIGCONT) per hang, then a ``kill`` timer after the grace."""
        if child.proc is None or child.stopping or child.hung_since is not None:
            return
        last = child.last_heartbeat or child.started_at
        if now - last <= child.timeout:
            self._at(last + child.timeout + 0.001, "silence", child)
            return
        child.hung_since = now
        log.error(
            "worker hung: no heartbeat, stopping it",
            extra={"pair": child.name, "pid": child.proc.pid, "silent_seconds": round(now - last, 1)},
        )
        child.status = {**child.status, "error": "hung: no heartbeat"}
        self._kill_group(child, signal.SIGTERM)
        self._kill_group(child, signal.SIGCONT)  # a stopped process acts on SIGTERM only once continued
        self._at(now + HUNG_GRACE_SECONDS, "kill", child)

    def _kill_hung(self, child: Child) -> None:
        if child.proc is None or child.stopping or child.hung_killed:
            return
        child.hung_killed = True
        log.error(
            "hung worker did not stop after SIGTERM; killing it",
            extra={"pair": child.name, "pid": child.proc.pid, "grace_seconds": HUNG_GRACE_SECONDS},
        )
        self._kill_group(child, signal.SIGKILL)  # then SIGCHLD wakes the loop for the reap

    def stop_children(self, children: list[Child], grace: float = STOP_GRACE_SECONDS) -> None:
        live = [c for c in children if c.proc is not None]
        for child in live:
            child.stopping = True
            self._kill_group(child, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for child in live:
            assert child.proc is not None
            try:
                child.proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("worker did not stop in time; killing it", extra={"pair": child.name})
                self._kill_group(child, signal.SIGKILL)
                child.proc.wait()
            self._close_channel(child)
            self.by_pid.pop(child.proc.pid, None)
            log.info("worker stopped", extra={"pair": child.name, "exit": describe_exit(child.proc.returncode)})
            child.proc = None
            child.state = "stopped"
        for child in children:
            child.stopping = True
            child.state = "stopped"
            child.gen += 1

    # -- health -----------------------------------------------------------------------
    def health_report(self) -> HealthReport:
        """The ``/health`` report; called on the health server's thread, so it reads copies."""
        now = time.monotonic()
        children = sorted(self.children.copy().values(), key=lambda c: c.name)  # copy: the loop mutates it
        rows = [
            dataclasses.replace(
                child.health(now, *self.sampler.sample(child.pid)), webhooks=self.webhooks.pair_status(child.name)
            )
            for child in children
        ]
        self.sampler.forget_except({row.pid for row in rows if row.pid})
        facts = SupervisorFacts(
            version=__version__,
            uptime_seconds=round(time.time() - self.started, 1),
            loop_age_seconds=round(now - self.loop_beat, 2),
        )
        return build_report(
            rows,
            config_dir=str(self.config_dir),
            invalid_configs=self.problems,
            supervisor=facts,
            webhooks=self.webhooks.status(),
        )

    # -- loop -------------------------------------------------------------------------
    def _next_wakeup(self) -> float:
        # SIGCHLD, heartbeats and token requests wake the loop; this bounds a quiet wait.
        if not self.timers:
            return 5.0
        return max(0.0, min(5.0, self.timers[0][0] - time.monotonic()))

    def run(self) -> int:
        from jirasync_cli.health.http import HealthServer

        wake_r, wake_w = os.pipe()
        os.set_blocking(wake_r, False)
        os.set_blocking(wake_w, False)
        signal.set_wakeup_fd(wake_w, warn_on_full_buffer=False)

        def on_signal(signum: int, frame: Any) -> None:
            if signum in (signal.SIGTERM, signal.SIGINT):
                self._stop = True
            elif signum == signal.SIGHUP and self.hup_reloads:
                self._reload = True
            elif signum == signal.SIGHUP:
                self._hung_up = self._stop = True

        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, on_signal)

        def on_child_exit(signum: int, frame: Any) -> None:
            self._child_exited = True

        signal.signal(signal.SIGCHLD, on_child_exit)
        self.selector.register(wake_r, selectors.EVENT_READ, None)

        self.health_server = HealthServer(
            self.health_host,
            self.health_port,
            self.health_report,
            alive=lambda: time.monotonic() - self.loop_beat < LOOP_STALL_SECONDS,
            post_handler=self.webhooks.receiver.handle,
        )
        self.selector.register(self.webhooks.wake_r, selectors.EVENT_READ, WEBHOOKS)
        self.health_server.start()
        log.info(
            "supervisor started",
            extra={
                "health": self.health_server.url,
                "pid": os.getpid(),
                "sighup": "reload" if self.hup_reloads else "stop (terminal hang-up)",
            },
        )
        self.reload()
        try:
            while not self._stop:
                self.loop_beat = time.monotonic()
                self.run_timers()
                try:
                    events = self.selector.select(timeout=self._next_wakeup())
                except InterruptedError:
                    events = []
                for key, _ in events:
                    if key.data is None:
                        try:
                            while os.read(wake_r, 512):
                                pass
                        except BlockingIOError:
                            pass
                    elif key.data is WEBHOOKS:
                        self.on_webhooks()
                    else:
                        self.read_heartbeats(key.data)
                # Reap only when a child exited (or every few seconds, should a signal be lost):
                # one waitpid per exited child, none per heartbeat.
                if self._child_exited or time.monotonic() - self._last_reap > 5.0:
                    sweep = not self._child_exited
                    self._child_exited, self._last_reap = False, time.monotonic()
                    self.reap(sweep=sweep)
                if self._reload:
                    self._reload = False
                    log.info("SIGHUP: re-reading configuration")
                    self.reload()
        finally:
            if self._hung_up:
                log.warning(
                    "SIGHUP with stdin on a terminal: taken as the terminal hanging up; stopping "
                    "(start with --reload-on-hup, or with stdin not a terminal, to reload on SIGHUP)"
                )
            log.info("supervisor stopping", extra={"workers": len(self.children)})
            self.stop_children(list(self.children.values()))
            self.health_server.stop()
            self.webhooks.close()
            signal.set_wakeup_fd(-1)
            os.close(wake_r)
            os.close(wake_w)
        log.info("supervisor stopped")
        return 0


SETTINGS_VARIABLE = "JIRASYNC_PROCESS_SETTINGS"


def exec_supervisor(settings: Settings) -> None:
    """Replace the CLI process with a lean supervisor (same pid, so signals and a container's
    PID 1 stay right): the CLI resolved the settings with pydantic-settings, the supervisor
    process then runs for months without pydantic, typer or rich in memory."""
    env = {**os.environ, SETTINGS_VARIABLE: json.dumps(settings.to_dict())}
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, "-m", "jirasync_cli.runtime.supervisor"], env)


def config_dir_problem(directory: Path) -> str | None:
    if not directory.exists():
        return f"config directory {directory} does not exist (set --config-dir or JIRASYNC_CONFIG_DIR)"
    if not directory.is_dir():
        return f"config directory {directory} is not a directory"
    return None


def main() -> int:
    from jirasync_cli import logs

    raw = os.environ.pop(SETTINGS_VARIABLE, None)
    if raw is None:
        print("error: start the supervisor with `jirasync supervise`", file=sys.stderr)
        return 2
    settings = Settings.from_dict(json.loads(raw))
    from jirasync_cli import secrets

    secrets.register(settings.webhook_secret)  # never in a log line, whatever echoes it
    problem = config_dir_problem(settings.config_dir)
    if problem:  # a typo in -c must not leave a supervisor running forever with nothing to do
        print(f"error: {problem}", file=sys.stderr)
        return 1
    set_title(supervisor_title(str(settings.config_dir)))
    logs.configure(settings.log_level, settings.log_format, worker="supervisor")
    try:
        return Supervisor(settings).run()
    except OSError as exc:  # e.g. the health port is taken
        log.error("cannot start the supervisor", extra={"error": str(exc)})
        print(f"error: cannot start the supervisor: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
