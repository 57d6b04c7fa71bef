"""HTTP front: a threaded stdlib server and the per-request pipeline.

Pipeline for a REST request: latency -> route -> auth (401) -> rate limit (429) -> injected
pre-apply failure -> handler under the state lock -> injected lost response (write applied,
client sees 502/504) -> request log. Nothing is applied unless the handler ran to completion.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import threading
import time
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from . import (  # noqa: F401 (routes)
    handlers_comment_list,
    handlers_comments,
    handlers_issues,
    handlers_links,
    handlers_meta,
    handlers_screens,
    handlers_search,
    webhooks,
)
from .errors import ApiError
from .router import Ctx, Response, router

if TYPE_CHECKING:
    from .emulator import JiraEmulator

log = logging.getLogger("jirasync.emulator")

API_RE = re.compile(r"^/rest/api/(2|3|latest)(/.*)$")
ISSUE_IN_PATH = re.compile(r"^/issue/(?!bulk(?:/|$))([^/]+)(?:/|$)")  # writes to one issue: its own limit
APPLINKS = "/rest/applinks/latest/listApplicationlinks"  # asked by the jira client before remote links
WEBHOOKS_API = "/rest/webhooks/1.0/"  # admin webhooks (see webhooks.py), routed as /_webhooks/...
JSON_TYPE = "application/json;charset=UTF-8"
NOT_AUTHENTICATED = "You are not authenticated. Authentication required to perform this operation."


@dataclass
class LogEntry:
    method: str
    path: str
    query: str
    status: int
    latency_ms: float
    ts: float  # emulator clock, epoch seconds
    account: str | None
    is_write: bool
    api_version: str | None = None
    fault: str | None = None  # "error", "lost_response", "rate_limited" or None

    def __getitem__(self, key: str) -> Any:  # dict-style access as well as attributes
        return getattr(self, key)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _dumps(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _error_payload(status: int, messages: list[str]) -> tuple[dict[str, str], bytes]:
    if status in (414, 502, 504):  # what a gateway in front of Jira answers: not JSON
        title = {414: "URI Too Long", 502: "Bad Gateway", 504: "Gateway Timeout"}[status]
        return {
            "Content-Type": "text/html;charset=UTF-8"
        }, f"<html><head><title>{status} {title}</title></head><body><h1>{title}</h1></body></html>".encode()
    return {"Content-Type": JSON_TYPE}, _dumps({"errorMessages": messages, "errors": {}})


INJECTED_MESSAGES = {500: "Internal server error", 503: "Service Unavailable"}


def dispatch(
    emu: JiraEmulator, method: str, raw_path: str, headers: Any, body: bytes, client: str = ""
) -> tuple[int, dict[str, str], bytes]:
    t0 = time.perf_counter()
    parts = urlsplit(raw_path)
    path = parts.path
    if path.startswith("/_emulator"):
        from .control import handle as control

        return control(emu, method, path, parts.query, body)
    if path == "/" and method in ("GET", "HEAD"):  # a page for people; the REST API is unchanged
        from .page import index_page

        return 200, {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}, index_page(emu)

    delay = emu.faults.delay_seconds()
    if delay:
        time.sleep(delay)

    account = None
    version = None
    is_write = method in ("POST", "PUT", "DELETE", "PATCH")
    fault = None
    try:
        if path == APPLINKS:  # no application links configured; served as the v2 API
            path_for_match = "/rest/api/2/_applinks"
        elif path.startswith(WEBHOOKS_API):
            path_for_match = "/rest/api/2/_webhooks/" + path[len(WEBHOOKS_API) :]
        else:
            path_for_match = path
        if len(raw_path) > emu.max_url_length:  # what the web server in front of Jira answers
            raise ApiError(414, ["URI Too Long"])
        m = API_RE.match(path_for_match)
        if (
            not m
            or (m.group(2) == "/_applinks" and path != APPLINKS)
            or (m.group(2).startswith("/_webhooks/") and not path.startswith(WEBHOOKS_API))
        ):
            raise ApiError(404, [f"null for uri: {emu.base_url}{path}"])
        version = "2" if m.group(1) == "latest" else m.group(1)
        sub = m.group(2)
        route, params, exists = router.match(method, sub, emu.mode == "cloud")
        if route is not None:
            is_write = route.write
        auth_header = headers.get("Authorization")
        account = emu.accounts.authenticate(auth_header)
        if account is None and (auth_header or route is None or not route.anonymous):
            raise ApiError(401, [NOT_AUTHENTICATED], headers={"WWW-Authenticate": 'Basic realm="protected-area"'})
        if version == "3" and emu.mode != "cloud":
            raise ApiError(404, [f"null for uri: {emu.base_url}{path}"])
        if route is None:
            if exists:
                raise ApiError(405, ["Method Not Allowed"])
            raise ApiError(404, [f"null for uri: {emu.base_url}{path}"])
        who = account.name if account else f"ip:{client}"
        issue = ISSUE_IN_PATH.match(sub) if is_write else None
        allowed, rl_headers = emu.faults.take_token(who, issue.group(1) if issue else None)
        if allowed and emu.mode != "cloud":
            rl_headers = {}  # X-RateLimit-NearLimit is Jira Cloud's
        if not allowed:
            fault = "rate_limited"
            raise ApiError(429, ["Rate limit exceeded."], headers=rl_headers)
        decision = emu.faults.decide(method, path, is_write)
        if decision.before:
            fault = "error"
            extra = {"Retry-After": str(emu.faults.retry_after_seconds)} if decision.before == 503 else {}
            raise ApiError(decision.before, [INJECTED_MESSAGES.get(decision.before, "Injected failure")], headers=extra)
        ctype = (headers.get("Content-Type") or "").lower()
        if body.strip() and "json" not in ctype:  # Jira (Jersey) only consumes JSON
            raise ApiError(415, ["Unsupported Media Type"])
        try:
            parsed = json.loads(body) if body.strip() else None
        except ValueError as exc:
            raise ApiError(400, [f"Unexpected character in request body: {exc}"]) from None
        if account is None:  # anonymous serverInfo: render as the default zone
            account = next(iter(emu.accounts.accounts))
            anonymous = True
        else:
            anonymous = False
        query = parse_qs(parts.query, keep_blank_values=True)
        with emu.state.lock:
            ctx = Ctx(emu, version, account, query, parsed, emu.clock.now_ms(), emu.base_url)
            try:
                resp = route.handler(ctx, **params)
            except ApiError:
                raise
            except Exception:  # a bug in the emulator: surface it like Jira's 500, log the trace
                log.exception("emulator handler failed: %s %s", method, raw_path)
                resp = Response(500, {"errorMessages": ["Internal server error"], "errors": {}})
            payload = b"" if resp.body is None else _dumps(resp.body)
        if anonymous:
            account = None
        out_headers = dict(resp.headers)
        out_headers.update(rl_headers)
        if resp.body is not None:
            out_headers.setdefault("Content-Type", JSON_TYPE)
        status = resp.status
        if decision.after and is_write and status < 400:
            fault = "lost_response"
            status = decision.after
            h, payload = _error_payload(status, ["Gateway error"])
            out_headers = h
    except ApiError as err:
        status = err.status
        if status in (414, 502, 504):
            out_headers, payload = _error_payload(status, err.messages)
        else:
            out_headers, payload = {"Content-Type": JSON_TYPE}, _dumps(err.body())
        out_headers.update(err.headers)
    latency = (time.perf_counter() - t0) * 1000.0
    emu._log(
        LogEntry(
            method,
            path,
            parts.query,
            status,
            round(latency, 3),
            emu.clock.epoch(),
            account.name if account else None,
            is_write,
            version,
            fault,
        )
    )
    out_headers.setdefault("X-AREQUESTID", f"{int(time.time() * 1000) % 10**8}x{threading.get_ident() % 1000}")
    return status, out_headers, payload


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "JiraEmulator"
    sys_version = ""
    timeout = 300  # idle keep-alive connections are closed after this
    disable_nagle_algorithm = True  # headers and body go out in separate writes

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, True)  # type: ignore[attr-defined]

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)  # type: ignore[attr-defined]

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _serve(self) -> None:
        body = self._read_body()
        emu = self.server.emu  # type: ignore[attr-defined]
        try:
            status, headers, payload = dispatch(
                emu, self.command, self.path, self.headers, body, client=self.client_address[0]
            )
        except Exception:  # never drop the connection without an answer
            log.exception("emulator failed on %s %s", self.command, self.path)
            status, headers = 500, {"Content-Type": JSON_TYPE}
            payload = _dumps({"errorMessages": ["Internal server error"], "errors": {}})
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD" and payload:
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _serve

    def version_string(self) -> str:
        return self.server_version

    def date_time_string(self, timestamp: float | None = None) -> str:
        date: str = self.server.emu.clock.http_date()  # type: ignore[attr-defined]
        return date

    def log_message(self, format: str, *args: Any) -> None:  # the request log replaces access logs
        pass


class EmulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, addr: tuple[str, int], emu: JiraEmulator) -> None:
        self.emu = emu
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        super().__init__(addr, _RequestHandler)

    def track(self, conn: socket.socket, add: bool) -> None:
        with self._conns_lock:
            (self._conns.add if add else self._conns.discard)(conn)

    def close_connections(self) -> None:
        """Drop keep-alive connections so a stopped emulator really stops answering."""
        with self._conns_lock:
            conns = list(self._conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
