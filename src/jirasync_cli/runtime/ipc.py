"""The supervisor ↔ worker channel: JSON lines over pipes.

* supervisor → worker, on the worker's stdin: one ``config`` message, then ``grant``
  messages (``{"type": "grant", "n": 5}``: tokens of the site's rate budget lent to it) and
  ``cycle`` nudges (a Jira webhook named the pair: run a cycle now); EOF
  on stdin means the supervisor is gone and the worker must exit (no orphan keeps syncing);
* worker → supervisor, on an inherited pipe fd (``--ipc-fd``): ``heartbeat`` messages, and
  the token protocol of :class:`~jirasync_cli.jira.pacing.BorrowingPacer`: ``tokens``
  (``want`` a batch; ``clean`` answers since the last ask) and ``rate`` (``signal``
  ``near`` for Jira's ``X-RateLimit-NearLimit``, ``limited`` with ``retry_after`` for a 429),
  and ``cycle`` reports (``phase`` ``started`` / ``finished``) that the webhook coalescing follows.

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


MAX_LINE_BYTES = 64 * 1024  # heartbeats are about 1 KB (bounded to 2 KB by the worker)


class LineReader:
    """Incremental JSON-lines decoder for a non-blocking pipe.

    A line longer than ``limit`` is skipped up to its newline, and a line that is not a
    JSON object is skipped too; each skip is recorded in :attr:`errors` (drained by
    :meth:`take_errors`) so the reader's owner can log it: a lost heartbeat is never silent.
    """

    def __init__(self, limit: int = MAX_LINE_BYTES) -> None:
        self._buffer = b""
        self._limit = limit
        self._skipping = 0  # bytes of an oversized line dropped so far (0: not skipping)
        self.errors: list[str] = []

    def feed(self, data: bytes) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        while data:
            if self._skipping:
                end = data.find(b"\n")
                if end < 0:
                    self._skipping += len(data)
                    return messages
                self.errors.append(f"line of {self._skipping + end} bytes dropped (limit {self._limit})")
                self._skipping, data = 0, data[end + 1 :]
                continue
            self._buffer += data
            data = b""
            while b"\n" in self._buffer:
                line, self._buffer = self._buffer.split(b"\n", 1)
                if len(line) > self._limit:
                    self.errors.append(f"line of {len(line)} bytes dropped (limit {self._limit})")
                    continue
                message = self._decode(line)
                if message is not None:
                    messages.append(message)
            if len(self._buffer) > self._limit:  # a runaway line: drop it up to its end
                self._skipping, self._buffer = len(self._buffer), b""
        return messages

    def _decode(self, line: bytes) -> dict[str, Any] | None:
        try:
            message = json.loads(line)
        except ValueError:
            self.errors.append(f"unreadable line of {len(line)} bytes dropped (not JSON)")
            return None
        if not isinstance(message, dict):
            self.errors.append(f"line dropped: a JSON {type(message).__name__}, not an object")
            return None
        return message

    def take_errors(self) -> list[str]:
        errors, self.errors = self.errors, []
        return errors


class WorkerChannel:
    """The worker's side: send heartbeats, receive config, notice the supervisor leaving."""

    def __init__(self, fd: int, stdin_fd: int = 0) -> None:
        self._out = os.fdopen(fd, "wb", buffering=0)
        # Raw fd reads, not sys.stdin: a daemon thread blocked inside a buffered reader
        # aborts the interpreter at exit.
        self._stdin_fd = stdin_fd
        self._lock = threading.Lock()
        self.broken = False
        self._rest = b""  # what followed the config message in the same read

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
        while b"\n" not in data:
            chunk = os.read(self._stdin_fd, 65536)
            if not chunk:
                raise EOFError("supervisor closed the channel before sending the config")
            data += chunk
        line, self._rest = data.split(b"\n", 1)
        message: dict[str, Any] = json.loads(line)
        if message.get("type") != "config":
            raise ValueError(f"expected a config message, got {message.get('type')!r}")
        return message

    def watch_parent(
        self, on_gone: Callable[[], None], on_message: Callable[[dict[str, Any]], None] | None = None
    ) -> threading.Thread:
        """Hand each later message (grants) to ``on_message``; call ``on_gone`` when stdin
        reaches EOF (the supervisor died or closed it)."""
        reader = LineReader()

        def watch() -> None:
            data = self._rest
            try:
                while True:
                    for message in reader.feed(data):
                        if on_message is not None:
                            on_message(message)
                    data = os.read(self._stdin_fd, 4096)
                    if not data:
                        break
            except OSError:
                pass
            on_gone()

        thread = threading.Thread(target=watch, name="parent-watch", daemon=True)
        thread.start()
        return thread
