"""Real processes: `jirasync supervise` / `run-worker` as subprocesses against the emulator and
a real MongoDB server. Time bounds are generous: the benchmarks measure real latencies."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from jirasync_cli.doubles.mongo import free_port
from jirasync_cli.emulator import Account, JiraEmulator, Workflow, default_accounts
from tests.helpers import cli_env, spawn, sync_config, wait_for, write_config

PAIRS = [("sync-ab", "USER", "DEV"), ("sync-cd", "CS", "BILL"), ("sync-xy", "XY", "MOB"), ("sync-pq", "PQ", "QA")]
FAST = 0.05  # minutes: a 3 s interval (heartbeat every 1.5 s, hung after 9.5 s of silence)


@pytest.fixture
def emu() -> Iterator[JiraEmulator]:
    accounts = default_accounts() + [Account("jirasync-bot-2", "jirasync bot (standby site)", "bot2@example.com",
                                             "emulator-token-2", role="bot")]
    emulator = JiraEmulator(mode="cloud", accounts=accounts).start()
    for _, user, dev in PAIRS:
        emulator.add_project(user, workflow=Workflow.user_default())
        emulator.add_project(dev, workflow=Workflow.dev_default())
    yield emulator
    emulator.stop()


class Supervisor:
    def __init__(self, emu: JiraEmulator, mongo_url: str, config_dir: Path, log: Path, popen: dict | None = None,
                 args: tuple[str, ...] = (), **env: str) -> None:
        self.args = args  # extra `jirasync supervise` arguments
        self.popen = popen or {}  # extra Popen options, e.g. a preexec_fn lowering a resource limit
        self.emu = emu
        self.config_dir = config_dir
        self.port = free_port()
        self.log = log
        self.env = cli_env(mongo_url, config_dir, JIRASYNC_HEALTH_PORT=str(self.port),
                           JIRASYNC_HEALTH_HOST="127.0.0.1", **env)
        self.proc: subprocess.Popen[bytes] | None = None
        self.seen: dict[int, float] = {}  # worker pid -> create time, for the cleanup

    def start(self) -> Supervisor:
        self.proc = spawn("supervise", *self.args, env=self.env, log=self.log, **self.popen)
        wait_for(self._health_up, 30, message="supervisor /health")
        return self

    def _health_up(self) -> bool:
        try:
            self.health()
            return True
        except OSError:
            return False

    def health(self) -> dict[str, Any]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=5) as r:
                doc = json.loads(r.read())
                doc["_code"] = r.status
                return doc
        except urllib.error.HTTPError as exc:
            doc = json.loads(exc.read())
            doc["_code"] = exc.code
            return doc

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=5) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def children(self) -> dict[str, int]:
        """Live run-worker children: pair name -> pid."""
        assert self.proc is not None
        out = {}
        try:
            kids = psutil.Process(self.proc.pid).children()
        except psutil.NoSuchProcess:
            return out
        for child in kids:
            try:
                name = worker_name(child.cmdline())
                if child.status() == psutil.STATUS_ZOMBIE:
                    continue
                self.seen.setdefault(child.pid, child.create_time())
            except psutil.NoSuchProcess:
                continue
            if name:
                out[name] = child.pid
        return out

    def kill_leftovers(self) -> None:
        """No worker may outlive the test (they follow a dead supervisor, but be sure)."""
        if self.proc is not None:
            self.children()
        for pid, created in self.seen.items():
            try:
                proc = psutil.Process(pid)
                if proc.create_time() == created:
                    proc.kill()
            except psutil.NoSuchProcess:
                pass

    def worker(self, name: str) -> dict[str, Any]:
        return next(w for w in self.health()["workers"] if w["name"] == name)

    def wait_running(self, names: list[str], timeout: float = 40) -> dict[str, int]:
        def ready():
            doc = self.health()
            states = {w["name"]: w["state"] for w in doc["workers"]}
            return all(states.get(n) in ("running", "standby") for n in names) and set(self.children()) == set(names)

        wait_for(ready, timeout, interval=0.2, message=f"workers {names} running")
        return self.children()

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def stop(self) -> int | None:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()


@pytest.fixture
def deploy(emu, mongo_url, tmp_path):
    """``deploy(pairs, **config_overrides)`` → a started supervisor over those pairs."""
    started: list[Supervisor] = []

    def make(pairs=PAIRS[:3], config_dir: Path | None = None, token: str = "emulator-token",
             email: str = "bot@example.com", databases: dict[str, str] | None = None, env: dict | None = None,
             start: bool = True, popen: dict | None = None, args: tuple[str, ...] = (),
             **overrides: Any) -> Supervisor:
        directory = config_dir or tmp_path / f"config{len(started)}"
        for name, user, dev in pairs:
            doc = sync_config(name, emu.url, user, dev, token=token, email=email,
                              syncIntervalMinutes=overrides.get("syncIntervalMinutes", FAST),
                              **({"database": databases[name]} if databases else {}))
            write_config(directory, doc)
        sup = Supervisor(emu, mongo_url, directory, tmp_path / f"supervisor{len(started)}.log", popen=popen,
                         args=args, **(env or {}))
        started.append(sup)
        return sup.start() if start else sup

    yield make
    for sup in started:
        tree = descendants(sup.proc.pid) if sup.proc is not None else []
        if sup.proc is not None:
            sup.children()  # remember the pids before they go
        sup.stop()
        sup.kill_leftovers()
        # No worker may outlive the test: find them as the supervisor's descendants, or by
        # the environment they inherited, besides the pids remembered above.
        kill_all([*tree, *processes_with_env("JIRASYNC_CONFIG_DIR", str(sup.config_dir))])


def descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def processes_with_env(name: str, value: str) -> list[psutil.Process]:
    """Our own processes whose environment has ``name=value`` (they inherited it from a test)."""
    found = []
    for proc in psutil.process_iter():
        try:
            if proc.pid != os.getpid() and proc.environ().get(name) == value:
                found.append(proc)
        except (psutil.AccessDenied, psutil.NoSuchProcess, psutil.ZombieProcess, OSError):
            continue
    return found


def kill_all(procs: list[psutil.Process]) -> list[int]:
    """SIGKILL every process still alive; returns the pids that had to be killed."""
    killed = []
    for proc in procs:
        try:
            if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
                proc.kill()
                killed.append(proc.pid)
        except psutil.NoSuchProcess:
            continue
    psutil.wait_procs(procs, timeout=5)
    return killed


def worker_name(cmdline: list[str]) -> str | None:
    """The pair of a worker process: titled ``jirasync worker NAME`` (or, before it set its
    title, ``... run-worker NAME``)."""
    words = " ".join(cmdline).split()
    if words[:2] == ["jirasync", "worker"] and len(words) > 2:
        return words[2]
    if "run-worker" in words and words.index("run-worker") + 1 < len(words):
        return words[words.index("run-worker") + 1]
    return None


def no_orphans(pids) -> bool:
    alive = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                alive.append(pid)
        except psutil.NoSuchProcess:
            pass
    return not alive
