"""Fixtures: the emulator in both deployments, and a tiny HTTP endpoint that records what
the emulator's webhooks deliver."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from jirasync_cli.emulator import JiraEmulator, Workflow


class Sink:
    """An HTTP endpoint recording each POST: (headers, raw body, decoded body)."""

    def __init__(self) -> None:
        self.got: list[tuple[dict[str, str], bytes, Any]] = []
        self.lock = threading.Lock()
        sink = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with sink.lock:
                    sink.got.append(({k.lower(): v for k, v in self.headers.items()}, raw, json.loads(raw or b"null")))
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/webhook"

    def events(self) -> list[str]:
        with self.lock:
            return [doc["webhookEvent"] for _, _, doc in self.got]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sink() -> Iterator[Sink]:
    s = Sink()
    yield s
    s.close()


@pytest.fixture(params=["cloud", "server"])
def emu(request) -> Iterator[JiraEmulator]:
    e = JiraEmulator(mode=request.param).start()
    e.add_project("USER", workflow=Workflow.user_default())
    e.add_project("DEV", workflow=Workflow.dev_default())
    e.add_project("OTHER", workflow=Workflow.dev_default())
    yield e
    e.stop()
