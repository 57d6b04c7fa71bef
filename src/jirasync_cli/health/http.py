"""Health over HTTP: ``/health`` (JSON), ``/livez``, ``/readyz`` and ``/metrics`` (Prometheus);
``/`` is ``/health`` too, or an HTML status page when the client asks for HTML (a browser).

It only serves: a provider builds the report (:mod:`jirasync_cli.health.report`). The
provider's owner (the supervisor's loop) keeps its state; requests read a document rebuilt
at most every ``refresh`` seconds (process RSS/CPU sampling included), so a busy probe or
scraper costs the loop nothing and answers stay fast under load. ``/livez`` only says the
owner's loop turns.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from jirasync_cli import __version__, secrets
from jirasync_cli.health.metrics import metrics_text
from jirasync_cli.health.report import HealthReport

log = logging.getLogger("jirasync.health")


class HealthServer:
    """Serves the report a provider builds; the provider runs at most once per ``refresh``.

    HTTP is :class:`~jirasync_cli.health.server.HttpServer`: one thread, idle and header
    timeouts, a cap on connections, and accept failures that are logged, never fatal.
    """

    def __init__(
        self,
        host: str,
        port: int,
        provider: Callable[[], HealthReport],
        refresh: float = 0.5,
        alive: Callable[[], bool] = lambda: True,
        **http_options: Any,
    ) -> None:
        from jirasync_cli.health.server import HttpServer

        self.provider = provider
        self.alive = alive
        self.refresh = refresh
        self._lock = threading.Lock()
        self._cached: tuple[float, dict[str, Any], bytes] | None = None
        self._page: tuple[bytes, bytes] | None = None
        self.http = HttpServer(host, port, self.respond, server_name=f"jirasync/{__version__}", **http_options)

    def respond(self, target: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, str]:
        path = target.split("?", 1)[0].rstrip("/") or "/"
        if path == "/livez":  # liveness: the owner's loop turns (no provider call)
            if self.alive():
                return 200, b'{"status":"alive"}\n', "application/json"
            return 503, b'{"status":"stalled"}\n', "application/json"
        doc, body = self.current()
        if path == "/" and "text/html" in (headers or {}).get("accept", ""):
            return doc.get("http_status", 200), self.page(body), "text/html; charset=utf-8"
        if path in ("/health", "/"):
            return doc.get("http_status", 200), body, "application/json"
        if path == "/readyz":
            ready = doc.get("http_status", 200) == 200
            return 200 if ready else 503, b'{"ready":%s}\n' % (b"true" if ready else b"false"), "application/json"
        if path == "/metrics":
            return 200, metrics_text(doc), "text/plain; version=0.0.4; charset=utf-8"
        return 404, b'{"error":"not found"}\n', "application/json"

    @property
    def port(self) -> int:
        return int(self.http.address[1])

    @property
    def url(self) -> str:
        host = self.http.address[0]
        host = "127.0.0.1" if host in ("0.0.0.0", "") else host
        return f"http://{host}:{self.port}"

    def current(self) -> tuple[dict[str, Any], bytes]:
        now = time.monotonic()
        with self._lock:
            if self._cached is None or now - self._cached[0] >= self.refresh:
                try:
                    doc = self.provider().to_dict()
                except Exception as exc:  # a broken provider must still answer
                    log.exception("health provider failed")
                    doc = {
                        "status": "unhealthy",
                        "http_status": 503,
                        "workers": [],
                        "errors": [f"health provider failed: {type(exc).__name__}"],
                    }
                body = secrets.redact(json.dumps(doc, default=str)).encode() + b"\n"
                self._cached = (now, doc, body)
            return self._cached[1], self._cached[2]

    def page(self, body: bytes) -> bytes:
        """The HTML status page of a (redacted) health body; rendered once per body."""
        from jirasync_cli.health import page as status_page

        with self._lock:
            if self._page is None or self._page[0] is not body:
                self._page = (body, status_page.render(json.loads(body)))
            return self._page[1]

    def start(self) -> None:
        self.http.start()

    def stop(self) -> None:
        self.http.stop()
