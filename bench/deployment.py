"""A supervisor over N pairs, as a benchmark fixture (emulator and MongoDB included)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil
from common import ROOT, mongo
from emuproc import RemoteEmulator

from jirasync_cli.doubles.mongo import free_port


class Deployment:
    def __init__(
        self,
        server: Any,
        emu: RemoteEmulator,
        pairs: int,
        interval_minutes: float,
        intervals: dict[int, float] | None = None,
        code: Path | None = None,
        jira: dict[str, Any] | None = None,
    ) -> None:
        """``intervals``: minutes for some pairs (by index); ``code``: run the ``src`` tree of
        another checkout (a baseline) instead of this one; ``jira``: extra ``jira`` settings."""
        from jirasync_cli.doubles.configs import sync_config

        self.mongo_url = server.url
        self.emu = emu
        self.workdir = Path(tempfile.mkdtemp(prefix="jirasync-bench-"))
        config_dir = self.workdir / "config"
        config_dir.mkdir()
        for i in range(pairs):
            doc = sync_config(
                f"sync-{i}",
                emu.url,
                f"U{i}",
                f"D{i}",
                database=f"bench_{i}_{os.getpid()}",
                syncIntervalMinutes=(intervals or {}).get(i, interval_minutes),
            )
            doc["jira"].update(jira or {})
            (config_dir / f"sync-{i}.json").write_text(json.dumps(doc))
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("JIRASYNC_")}
        env.update(
            JIRASYNC_MONGODB_URL=server.url,
            JIRASYNC_CONFIG_DIR=str(config_dir),
            JIRASYNC_HEALTH_PORT=str(self.port),
            JIRASYNC_HEALTH_HOST="127.0.0.1",
            JIRASYNC_LOG_FORMAT="json",
        )
        if code is not None:
            env["PYTHONPATH"] = str(code)
        compile_bytecode(code or ROOT / "src")
        self.log = open(self.workdir / "supervisor.log", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "jirasync_cli", "supervise"], env=env, stdout=self.log, stderr=self.log
        )
        self.pairs = pairs
        started = time.monotonic()
        try:
            self.wait(
                lambda doc: len(doc["workers"]) == pairs and all(w["cycles"] >= 1 for w in doc["workers"]), poll=0.1
            )
        except BaseException:
            self.stop()
            raise
        self.first_cycles_seconds = time.monotonic() - started  # start to every pair's first cycle done
        # CPU the workers spent getting there (mostly starting Python and importing): on a
        # machine with few cores, start-up can be no faster than this divided by the cores.
        self.first_cycles_worker_cpu = sum(sum(c.cpu_times()[:2]) for c in psutil.Process(self.proc.pid).children())

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/health"

    def health(self) -> dict[str, Any]:
        try:
            with urllib.request.urlopen(self.url, timeout=5) as r:
                return json.loads(r.read())
        except urllib.error.HTTPError as exc:
            return json.loads(exc.read())

    def wait(self, condition, timeout: float = 300.0, poll: float = 0.5) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            try:
                doc = self.health()
                if condition(doc):
                    return doc
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("deployment did not reach the expected state")
            time.sleep(poll)

    def children(self) -> dict[str, int]:
        out = {}
        for child in psutil.Process(self.proc.pid).children():
            try:
                words = " ".join(child.cmdline()).split()
            except psutil.NoSuchProcess:
                continue
            if words[:2] == ["jirasync", "worker"] and len(words) > 2:  # the worker's process title
                out[words[2]] = child.pid
            elif "run-worker" in words:  # not titled yet
                out[words[words.index("run-worker") + 1]] = child.pid
        return out

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(60)


_compiled: set[Path] = set()


def compile_bytecode(tree: Path) -> None:
    """Bytecode for ``tree``, as an installed package has it (pip compiles at install). A
    checkout run with PYTHONDONTWRITEBYTECODE=1 would otherwise compile every module again
    in every worker it starts: about 60 ms of CPU each."""
    if tree not in _compiled:
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree)], check=True, stdout=subprocess.DEVNULL)
        _compiled.add(tree)


@contextmanager
def deployment(pairs: int, interval_minutes: float = 5.0, latency_ms: float | None = None, **kwargs: Any):
    with mongo() as server:
        emu = RemoteEmulator(pairs=tuple((f"U{i}", f"D{i}") for i in range(pairs)))
        try:
            if latency_ms:
                emu.faults(latency_ms=latency_ms)
            dep = Deployment(server, emu, pairs, interval_minutes, **kwargs)
            try:
                yield dep
            finally:
                dep.stop()
        finally:
            emu.stop()


@contextmanager
def baseline_tree(rev: str | None):
    """The ``src`` tree of ``rev`` (a previous release) in a temporary directory, or None."""
    if not rev:
        yield None
        return
    import shutil

    tmp = Path(tempfile.mkdtemp(prefix="jirasync-baseline-"))
    try:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "src"], check=True, capture_output=True)
        subprocess.run(["tar", "-x", "-C", str(tmp)], input=archive.stdout, check=True)
        yield tmp / "src"
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
