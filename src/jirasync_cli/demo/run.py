"""Orchestrates the demo: emulator, embedded MongoDB, supervisor, people, and a live view."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from jirasync_cli.demo.world import (
    DC_TOKEN_VARIABLE,
    TOKEN_VARIABLE,
    DemoPair,
    People,
    seed,
    write_configs,
)
from jirasync_cli.doubles.mongo import EmbeddedMongo, free_port
from jirasync_cli.emulator import JiraEmulator
from jirasync_cli.emulator.sites import DC_BOT_TOKEN, default_dc_accounts
from jirasync_cli.errors import JirasyncError
from jirasync_cli.sync.actions import Note, NoteKind
from jirasync_cli.sync.records import ActionKind, AuditEvent, Outcome

INTERVAL_SECONDS = 5.0
ACTION_EVERY_SECONDS = 1.5
AUDIT_LABELS: dict[str, str] = {  # the audit entries the live view shows, by action
    ActionKind.CREATE_ISSUE: "created dev issue",
    ActionKind.TRANSITION: "moved",
    ActionKind.COMMENT: "commented",
    ActionKind.MIRROR_COMMENT: "mirrored comment",
    ActionKind.UPDATE_MIRROR: "updated mirrored comment",
    ActionKind.DELETE_MIRROR: "removed mirrored comment",
    ActionKind.PARTNER_GONE: "settled a pair whose partner left:",
    ActionKind.EDIT_ISSUE: "copied field edits",
    ActionKind.LINK: "linked",
}


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


class Demo:
    def __init__(self, *, duration: float, pairs: int, keep_running: bool, health_port: int, console: Console) -> None:
        self.duration = duration
        self.pair_count = pairs
        self.keep_running = keep_running
        self.health_port = health_port if _port_free(health_port) else free_port()
        self.console = console
        self.workdir = Path(tempfile.mkdtemp(prefix="jirasync-demo-"))
        self.emu: JiraEmulator | None = None
        self.dc: JiraEmulator | None = None  # a Data Center site, for one cross-site pair (two pairs or more)
        self.mongo: EmbeddedMongo | None = None
        self.supervisor: subprocess.Popen[bytes] | None = None
        self.pairs: list[DemoPair] = []
        self.feed: list[str] = []
        self.stats: dict[str, Counter[str]] = {}
        self._audit_seen: dict[str, Any] = {}
        self._mongo_client: Any = None

    @property
    def health_url(self) -> str:
        return f"http://127.0.0.1:{self.health_port}/health"

    # -- lifecycle --------------------------------------------------------------------
    def start(self) -> None:
        with self.console.status("starting the Jira emulator, MongoDB and the supervisor..."):
            self.emu = JiraEmulator(mode="cloud").start()
            if self.pair_count >= 2:
                self.dc = JiraEmulator(mode="server", accounts=default_dc_accounts()).start()
            self.pairs = seed(self.emu, self.pair_count, dc=self.dc)
            self.mongo = EmbeddedMongo(log_path=self.workdir / "mongodb.log").start()
            config_dir = self.workdir / "config"
            write_configs(self.pairs, self.emu.url, config_dir, INTERVAL_SECONDS)
            env = {
                **os.environ,
                "JIRASYNC_MONGODB_URL": self.mongo.url,
                "JIRASYNC_LOG_FORMAT": "json",
                "JIRASYNC_LOG_LEVEL": "INFO",
                TOKEN_VARIABLE: "emulator-token",
                DC_TOKEN_VARIABLE: DC_BOT_TOKEN,
                "PYTHONUNBUFFERED": "1",
            }
            log = open(self.workdir / "supervisor.log", "ab")  # noqa: SIM115 - lives as long as the child
            self.supervisor = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "jirasync_cli",
                    "supervise",
                    "--config-dir",
                    str(config_dir),
                    "--health-host",
                    "127.0.0.1",
                    "--health-port",
                    str(self.health_port),
                ],
                env=env,
                stdout=log,
                stderr=log,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
            from pymongo import MongoClient

            self._mongo_client = MongoClient(self.mongo.url, serverSelectionTimeoutMS=2000)
            deadline = time.monotonic() + 30
            while self._health() is None:
                if self.supervisor.poll() is not None or time.monotonic() > deadline:
                    raise JirasyncError(f"the supervisor did not start; see {self.workdir / 'supervisor.log'}")
                time.sleep(0.2)
        self.stats = {p.name: Counter() for p in self.pairs}

    def stop(self) -> None:
        if self.supervisor is not None and self.supervisor.poll() is None:
            self.supervisor.send_signal(signal.SIGTERM)
            try:
                self.supervisor.wait(20)
            except subprocess.TimeoutExpired:
                self.supervisor.kill()
                self.supervisor.wait()
        if self._mongo_client is not None:
            self._mongo_client.close()
        if self.mongo is not None:
            self.mongo.stop()
        for site in (self.emu, self.dc):
            if site is not None:
                site.stop()

    # -- observation ------------------------------------------------------------------
    def _health(self) -> dict[str, Any] | None:
        try:
            with urllib.request.urlopen(self.health_url, timeout=2) as response:
                doc: dict[str, Any] = json.loads(response.read())
                return doc
        except urllib.error.HTTPError as exc:
            doc = json.loads(exc.read())
            return doc
        except (OSError, ValueError):
            return None
        return doc

    def _poll_audit(self) -> None:
        for pair in self.pairs:
            db = self._mongo_client[pair.name.replace("-", "_")]
            query: dict[str, Any] = {"result": str(Outcome.OK)}
            last = self._audit_seen.get(pair.name)
            if last is not None:
                query["ts"] = {"$gt": last}
            try:
                entries = list(db.audit.find(query).sort("ts", 1).limit(200))
            except Exception:
                return
            for entry in entries:
                self._audit_seen[pair.name] = entry["ts"]
                action = entry.get("action", "")
                detail = entry.get("detail") or {}
                reason = str(detail.get("reason", ""))
                if action == AuditEvent.NOTE and Note.kind_of(reason) is NoteKind.WITHHELD:
                    self.feed.append(f"[yellow]jirasync[/] {pair.name}: {escape(reason)}")
                    continue
                if action not in AUDIT_LABELS or detail.get("wrote") is False:
                    continue
                self.stats[pair.name][action] += 1
                self.feed.append(f"[green]jirasync[/] {pair.name}: {self._describe(action, entry, detail)}")

    @staticmethod
    def _describe(action: str, entry: dict[str, Any], detail: dict[str, Any]) -> str:
        keys = entry.get("keys") or []
        if action == ActionKind.CREATE_ISSUE:
            return f"created [bold]{detail.get('dev_key')}[/] for {keys[0]} (linked)"
        if action == ActionKind.TRANSITION:
            return f"moved {detail.get('key')} to [bold]{detail.get('status')}[/]"
        if action == ActionKind.MIRROR_COMMENT:
            audience = " (internal note)" if "internal" in str(detail.get("restricted", "")) else ""
            return f"mirrored comment {detail.get('source', '').split('/')[0]} → {detail.get('key')}{audience}"
        if action == ActionKind.COMMENT:
            return f"commented on {detail.get('key')}"
        return f"{AUDIT_LABELS[action]} {' '.join(keys)}"

    def view(self, remaining: float | None) -> Group:
        health = self._health() or {}
        states = {w["name"]: w for w in health.get("workers", [])}
        table = Table(title="sync pairs", expand=True)
        for column in (
            "pair",
            "projects",
            "worker",
            "dev issues created",
            "statuses synced",
            "comments mirrored",
            "template comments",
        ):
            table.add_column(column)
        for pair in self.pairs:
            w = states.get(pair.name, {})
            c = self.stats.get(pair.name, Counter())
            projects = f"{pair.user} → {pair.dev}" + (" (Data Center)" if pair.cross_site else "")
            table.add_row(
                pair.name,
                projects,
                f"{w.get('state', '?')} (pid {w.get('pid')})",
                *(
                    str(c[kind])
                    for kind in (
                        ActionKind.CREATE_ISSUE,
                        ActionKind.TRANSITION,
                        ActionKind.MIRROR_COMMENT,
                        ActionKind.COMMENT,
                    )
                ),
            )
        sites = f"[link]{self.emu.url if self.emu else ''}[/]"
        if self.dc is not None:
            sites += f" + Data Center [link]{self.dc.url}[/]"
        header = (
            f"Jira emulator: {sites}   health: [link]{self.health_url}[/]"
            f"   status: [bold]{escape(str(health.get('status', 'starting')))}[/]"
        )
        if remaining is not None:
            header += f"   {remaining:4.0f}s left"
        else:
            header += "   (Ctrl-C to stop)"
        feed = "\n".join(self.feed[-14:]) or "waiting for the first cycle..."
        return Group(Panel(header, title="jirasync demo"), table, Panel(feed, title="what is happening"))

    # -- main -------------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        self.start()
        assert self.emu is not None
        people = People(self.emu, self.pairs)
        started = time.monotonic()
        next_action = started + 3.0  # let the initial sync go first
        stop_at = started + self.duration
        acting = True
        with Live(self.view(self.duration), console=self.console, refresh_per_second=4, transient=False) as live:
            while True:
                now = time.monotonic()
                if acting and now >= next_action:
                    people.step()
                    next_action = now + ACTION_EVERY_SECONDS
                self.feed.extend(people.take_events())
                self._poll_audit()
                if now >= stop_at:
                    if not self.keep_running:
                        break
                    acting = False
                live.update(self.view(None if self.keep_running and now >= stop_at else max(0.0, stop_at - now)))
                time.sleep(0.25)
        return self.summary()

    def summary(self) -> dict[str, Any]:
        assert self.emu is not None
        from jirasync_cli.jira.models import SOURCE_PROPERTY

        pairs: list[dict[str, Any]] = []
        result: dict[str, Any] = {"pairs": pairs, "workdir": str(self.workdir)}
        for pair in self.pairs:
            dev_site = pair.dev_site or self.emu
            sources = [
                i["properties"][SOURCE_PROPERTY]["userKey"]
                for i in dev_site.issues(pair.dev)
                if SOURCE_PROPERTY in (i.get("properties") or {})
            ]
            pairs.append(
                {
                    "pair": pair.name,
                    "dev_issues": len(sources),
                    "duplicates": len(sources) - len(set(sources)),
                    **{AUDIT_LABELS[k]: v for k, v in self.stats[pair.name].items()},
                }
            )
        return result


def print_summary(summary: dict[str, Any], console: Console) -> None:
    table = Table(title="demo summary")
    columns = ["pair", "dev_issues", "duplicates", *AUDIT_LABELS.values()]
    present = [c for c in columns if any(c in p for p in summary["pairs"])]
    for column in present:
        table.add_column(column.replace("_", " "))
    for p in summary["pairs"]:
        table.add_row(*(str(p.get(c, 0)) for c in present))
    console.print(table)
    console.print(f"logs and configs: {summary['workdir']}")


def run_demo(*, duration: float, pairs: int, keep_running: bool, health_port: int, console: Console) -> int:
    demo = Demo(duration=duration, pairs=pairs, keep_running=keep_running, health_port=health_port, console=console)
    summary = None
    with _stop_on_signals():
        try:
            summary = demo.run()
        except KeyboardInterrupt:
            console.print("stopping...")
            summary = demo.summary() if demo.emu is not None and demo.stats else None
        finally:
            with _signals_ignored():  # a second Ctrl-C must not cut the cleanup short
                demo.stop()
    if summary:
        console.print()
        print_summary(summary, console)
    return 0


@contextmanager
def _stop_on_signals() -> Iterator[None]:
    """SIGTERM stops the demo like Ctrl-C: everything it started is stopped, the summary printed.
    (By default SIGTERM would end the process at once and orphan MongoDB and the supervisor,
    which run in sessions of their own.)"""

    def interrupt(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextmanager
def _signals_ignored() -> Iterator[None]:
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
