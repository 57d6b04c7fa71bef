"""An embedded MongoDB-compatible server for the demo, the tests and the benchmarks.

It runs the wire-protocol server installed by the ``embedded`` extra (``secantusd-py``)
in memory on a free loopback port. It is a beta, GPL-licensed test double: never used in
production, where jirasync talks to real MongoDB.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from jirasync_cli.errors import JirasyncError

SERVER_COMMAND = "secantusd-py"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def find_server() -> str | None:
    beside = Path(sys.executable).with_name(SERVER_COMMAND)
    if beside.exists():
        return str(beside)
    return shutil.which(SERVER_COMMAND)


class EmbeddedMongo:
    def __init__(self, port: int | None = None, log_path: Path | None = None, storage_path: Path | None = None) -> None:
        self.port = port or free_port()
        self.log_path = log_path
        # None: in memory, gone at stop. A directory survives a stop/start (outage tests).
        self.storage_path = storage_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        # retryWrites=false: the embedded server slows down steadily with retryable writes.
        return f"mongodb://127.0.0.1:{self.port}/?directConnection=true&retryWrites=false"

    def start(self, timeout: float = 30.0) -> EmbeddedMongo:
        command = find_server()
        if command is None:
            raise JirasyncError("the embedded MongoDB server is not installed: pip install 'jirasync[embedded]'")
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                command,
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--storage-path",
                str(self.storage_path) if self.storage_path else ":memory:",
                "--log-level",
                "WARNING",
            ],
            stdout=out,
            stderr=out,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise JirasyncError(f"embedded MongoDB server exited with code {self.process.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    pass
                if self._ping():
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise JirasyncError(f"embedded MongoDB server did not start within {timeout:.0f}s")

    def _ping(self) -> bool:
        from pymongo import MongoClient

        client: MongoClient[dict[str, Any]] = MongoClient(self.url, serverSelectionTimeoutMS=1000)
        try:
            client.admin.command("ping")
            return True
        except Exception:
            return False
        finally:
            client.close()

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def __enter__(self) -> EmbeddedMongo:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
