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

from jirasync_cli.embedded_mongo import free_port


class Deployment:
    def __init__(self, server: Any, emu: RemoteEmulator, pairs: int, interval_minutes: float) -> None:
        sys.path.insert(0, str(ROOT))
        from tests.helpers import sync_config

        self.mongo_url = server.url
        self.workdir = Path(tempfile.mkdtemp(prefix="jirasync-bench-"))
        config_dir = self.workdir / "config"
        config_dir.mkdir()
        for i in range(pairs):
            doc = sync_config(f"sync-{i}", emu.url, f"U{i}", f"D{i}", database=f"bench_{i}_{os.getpid()}",
                              syncIntervalMinutes=interval_minutes)
            (config_dir / f"sync-{i}.json").write_text(json.dumps(doc))
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("JIRASYNC_")}
        env.update(JIRASYNC_MONGODB_URL=server.url, JIRASYNC_CONFIG_DIR=str(config_dir),
                   JIRASYNC_HEALTH_PORT=str(self.port), JIRASYNC_HEALTH_HOST="127.0.0.1",
                   JIRASYNC_LOG_FORMAT="json")
        self.log = open(self.workdir / "supervisor.log", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen([sys.executable, "-m", "jirasync_cli", "supervise"], env=env,
                                     stdout=self.log, stderr=self.log)
        self.pairs = pairs
        self.wait(lambda doc: len(doc["workers"]) == pairs and all(w["cycles"] >= 1 for w in doc["workers"]))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/health"

    def health(self) -> dict[str, Any]:
        try:
            with urllib.request.urlopen(self.url, timeout=5) as r:
                return json.loads(r.read())
        except urllib.error.HTTPError as exc:
            return json.loads(exc.read())

    def wait(self, condition, timeout: float = 300.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if condition(self.health()):
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("deployment did not reach the expected state")
            time.sleep(0.5)

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


@contextmanager
def deployment(pairs: int, interval_minutes: float = 5.0):
    with mongo() as server:
        emu = RemoteEmulator(pairs=tuple((f"U{i}", f"D{i}") for i in range(pairs)))
        dep = Deployment(server, emu, pairs, interval_minutes)
        try:
            yield dep
        finally:
            dep.stop()
            emu.stop()
