"""The supervisor ↔ worker channel: JSON lines over pipes.

* supervisor → worker, on the worker's stdin: one ``config`` message, then nothing; EOF
  on stdin means the supervisor is gone and the worker must exit (no orphan keeps syncing);
* worker → supervisor, on an inherited pipe fd (``--ipc-fd``): ``heartbeat`` messages.

Secrets travel only through these pipes, never through argv or the environment.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from typing import Any


def encode(message: dict[str, Any]) -> bytes:
    return (json.dumps(message, default=str, separators=(",", ":")) + "\n").encode()


class LineReader:
    """Incremental JSON-lines decoder for a non-blocking pipe."""

    def __init__(self, limit: int = 1 << 20) -> None:
        self._buffer = b""
        self._limit = limit

    def feed(self, data: bytes) -> list[dict[str, Any]]:
        self._buffer += data
        messages = []
        while b"\n" in self._buffer:
            line, self._buffer = self._buffer.split(b"\n", 1)
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if isinstance(message, dict):
                messages.append(message)
        if len(self._buffer) > self._limit:  # a runaway line: drop it rather than grow forever
            self._buffer = b""
        return messages


class WorkerChannel:
    """The worker's side: send heartbeats, receive config, notice the supervisor leaving."""

    def __init__(self, fd: int, stdin_fd: int = 0) -> None:
        self._out = os.fdopen(fd, "wb", buffering=0)
        # Raw fd reads, not sys.stdin: a daemon thread blocked inside a buffered reader
        # aborts the interpreter at exit.
        self._stdin_fd = stdin_fd
        self._lock = threading.Lock()
        self.broken = False

    def send(self, message: dict[str, Any]) -> None:
        data = encode(message)
        with self._lock:
            if self.broken:
                return
            try:
                self._out.write(data)
            except (BrokenPipeError, OSError):
                self.broken = True

    def receive_config(self) -> dict[str, Any]:
        data = b""
        while not data.endswith(b"\n"):
            chunk = os.read(self._stdin_fd, 65536)
            if not chunk:
                raise EOFError("supervisor closed the channel before sending the config")
            data += chunk
        message = json.loads(data.split(b"\n", 1)[0])
        if message.get("type") != "config":
            raise ValueError(f"expected a config message, got {message.get('type')!r}")
        return message

    def watch_parent(self, on_gone: Callable[[], None]) -> threading.Thread:
        """Call ``on_gone`` when stdin reaches EOF (the supervisor died or closed it)."""

        def watch() -> None:
            try:
                while os.read(self._stdin_fd, 4096):
                    pass
            except OSError:
                pass
            on_gone()

        thread = threading.Thread(target=watch, name="parent-watch", daemon=True)
        thread.start()
        return thread
