"""A small HTTP/1.1 server for health endpoints: one thread, one selector, bounded resources.

Why not ``http.server``: its threading server pins a thread and a file descriptor per idle
client, and a failed ``accept`` (file descriptors exhausted) ends ``serve_forever``. Here:

* every connection costs one descriptor and a few hundred bytes, no thread;
* a connection silent for ``idle_timeout`` is closed, and so is one that takes longer than
  ``header_timeout`` to send a request head once it started (slow clients), or longer than
  ``write_timeout`` to take its response;
* at most ``max_connections`` are open (by default a quarter of the descriptor limit, at most
  256); a new client beyond that replaces the one idle the longest, so a probe still gets in
  while hundreds of idle clients hold connections;
* a failed ``accept`` (EMFILE and friends) is logged at most every 10 s and accepting pauses
  for 0.5 s; nothing here raises out of the loop.

Requests are GET or HEAD without a body; the handler maps a path and the request headers
(names and values lower-cased) to (status, body, type) and is called on this server's
thread, so it must be quick (health serves a cached document). With a ``post_handler``,
POST requests with a ``Content-Length`` body of at most ``max_body`` bytes go to it (the
Jira webhook receiver); a larger one gets 413 unread, a chunked one 411.
"""

from __future__ import annotations

import errno
import logging
import resource
import selectors
import socket
import threading
import time
from collections.abc import Callable
from email.utils import formatdate
from http import HTTPStatus

log = logging.getLogger("jirasync.http")

Handler = Callable[[str, dict[str, str]], tuple[int, bytes, str]]
PostHandler = Callable[[str, dict[str, str], bytes], tuple[int, bytes, str]]

IDLE_TIMEOUT = 30.0
HEADER_TIMEOUT = 5.0
WRITE_TIMEOUT = 10.0
MAX_HEAD_BYTES = 8192
MAX_BODY_BYTES = 1024 * 1024
ACCEPT_PAUSE = 0.5
LOG_EVERY = 10.0
_OUT_OF_RESOURCES = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}


def default_max_connections() -> int:
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 256
    return max(8, min(256, soft // 4))


class _Conn:
    __slots__ = ("sock", "inbuf", "outbuf", "close_after", "last_active", "head_started", "write_started", "pending")

    def __init__(self, sock: socket.socket, now: float) -> None:
        self.sock = sock
        self.inbuf = b""
        self.outbuf = b""
        self.close_after = False
        self.last_active = now
        self.head_started: float | None = None  # first byte of an unfinished request head
        self.write_started: float | None = None  # a response the client has not taken yet
        self.pending: tuple[str, str, dict[str, str], bool, int] | None = None  # a POST waiting for its body


class _RateLimitedLog:
    def __init__(self, every: float = LOG_EVERY) -> None:
        self.every = every
        self.last = -every
        self.suppressed = 0

    def error(self, message: str, **extra: object) -> None:
        now = time.monotonic()
        if now - self.last < self.every:
            self.suppressed += 1
            return
        log.error(message, extra={**extra, "suppressed_since_last": self.suppressed})
        self.last, self.suppressed = now, 0


class HttpServer:
    def __init__(
        self,
        host: str,
        port: int,
        handler: Handler,
        *,
        server_name: str = "jirasync",
        idle_timeout: float = IDLE_TIMEOUT,
        header_timeout: float = HEADER_TIMEOUT,
        write_timeout: float = WRITE_TIMEOUT,
        max_connections: int | None = None,
        post_handler: PostHandler | None = None,
        max_body: int = MAX_BODY_BYTES,
    ) -> None:
        self.handler = handler
        self.post_handler = post_handler
        self.max_body = max_body
        self.server_name = server_name
        self.idle_timeout = idle_timeout
        self.header_timeout = header_timeout
        self.write_timeout = write_timeout
        self.max_connections = max_connections or default_max_connections()
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.listener = socket.create_server((host, port), family=family, backlog=128)
        self.listener.setblocking(False)
        self.address = self.listener.getsockname()
        self.conns: dict[int, _Conn] = {}
        self.accept_errors = _RateLimitedLog()
        self.stats = {"accepted": 0, "requests": 0, "evicted": 0, "timed_out": 0, "accept_failures": 0}
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._accept_paused_until = 0.0

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="health-http", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass
        if self._thread is not None:
            self._thread.join(5)
        for conn in list(self.conns.values()):
            self._close(conn)
        self._selector.close()
        self.listener.close()
        self._wake_r.close()
        self._wake_w.close()

    # -- loop -------------------------------------------------------------------------------
    def _run(self) -> None:
        self._selector.register(self.listener, selectors.EVENT_READ, "accept")
        self._selector.register(self._wake_r, selectors.EVENT_READ, "wake")
        listening = True
        last_sweep = time.monotonic()
        while not self._stop.is_set():
            try:
                now = time.monotonic()
                if not listening and now >= self._accept_paused_until:
                    self._selector.register(self.listener, selectors.EVENT_READ, "accept")
                    listening = True
                for key, events in self._selector.select(timeout=0.25):
                    if key.data == "accept":
                        if not self._accept():
                            self._selector.unregister(self.listener)
                            listening = False
                    elif key.data == "wake":
                        try:
                            self._wake_r.recv(64)
                        except OSError:
                            pass
                    else:
                        conn = key.data
                        if events & selectors.EVENT_READ:
                            self._on_readable(conn)
                        if events & selectors.EVENT_WRITE and conn.sock.fileno() in self.conns:
                            self._flush(conn)
                now = time.monotonic()
                if now - last_sweep >= 0.25:
                    self._sweep(now)
                    last_sweep = now
            except Exception:  # noqa: BLE001 - the health endpoint must outlive any one bad moment
                log.exception("health HTTP loop error")
                time.sleep(0.1)

    def _accept(self) -> bool:
        """Accept every waiting client; False if accepting must pause (out of descriptors)."""
        while True:
            try:
                sock, _ = self.listener.accept()
            except (BlockingIOError, InterruptedError):
                return True
            except OSError as exc:
                self.stats["accept_failures"] += 1
                if exc.errno in _OUT_OF_RESOURCES:
                    self.accept_errors.error(
                        "health server cannot accept a connection; pausing accepts",
                        error=str(exc),
                        open_connections=len(self.conns),
                        pause_seconds=ACCEPT_PAUSE,
                    )
                    self._accept_paused_until = time.monotonic() + ACCEPT_PAUSE
                    return False
                continue  # ECONNABORTED and the like: that client gave up
            now = time.monotonic()
            self.stats["accepted"] += 1
            if len(self.conns) >= self.max_connections:
                oldest = min(self.conns.values(), key=lambda c: c.last_active)
                self.stats["evicted"] += 1
                self._close(oldest)
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn = _Conn(sock, now)
            self.conns[sock.fileno()] = conn
            self._selector.register(sock, selectors.EVENT_READ, conn)

    def _sweep(self, now: float) -> None:
        for conn in list(self.conns.values()):
            if conn.write_started is not None:
                expired = now - conn.write_started > self.write_timeout
            elif conn.head_started is not None:
                expired = now - conn.head_started > self.header_timeout
            else:
                expired = now - conn.last_active > self.idle_timeout
            if expired:
                self.stats["timed_out"] += 1
                self._close(conn)

    def _close(self, conn: _Conn) -> None:
        fd = conn.sock.fileno()
        if fd < 0:
            return
        self.conns.pop(fd, None)
        try:
            self._selector.unregister(conn.sock)
        except (KeyError, ValueError):
            pass
        conn.sock.close()

    # -- one connection ---------------------------------------------------------------------
    def _on_readable(self, conn: _Conn) -> None:
        try:
            data = conn.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self._close(conn)
            return
        now = time.monotonic()
        conn.last_active = now
        if conn.close_after:
            return  # answering a last request; ignore what follows
        conn.inbuf += data
        if conn.head_started is None:
            conn.head_started = now
        while not conn.close_after:
            if conn.pending is not None:  # a POST head was read: wait for the whole body
                method, target, headers, close, length = conn.pending
                if len(conn.inbuf) < length:
                    break
                body, conn.inbuf = conn.inbuf[:length], conn.inbuf[length:]
                conn.pending = None
                conn.head_started = now if conn.inbuf else None
                self._answer_post(conn, target, headers, body, close)
                continue
            end = conn.inbuf.find(b"\r\n\r\n", 0, MAX_HEAD_BYTES + 4)
            if end < 0:
                if len(conn.inbuf) > MAX_HEAD_BYTES:
                    self._respond(conn, 431, b"request head too large\n", "text/plain", "GET", close=True)
                break
            head, conn.inbuf = conn.inbuf[:end], conn.inbuf[end + 4 :]
            conn.head_started = now if conn.inbuf else None
            self._answer(conn, head)
            if conn.pending is not None:
                conn.head_started = now  # the body must arrive within the header timeout too
        if conn.sock.fileno() in self.conns and conn.outbuf:
            self._flush(conn)

    def _answer(self, conn: _Conn, head: bytes) -> None:
        self.stats["requests"] += 1
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            self._respond(conn, 400, b"bad request\n", "text/plain", "GET", close=True)
            return
        method, target, version = parts
        headers = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip().lower()
        connection = headers.get("connection", "")
        close = "close" in connection if version != "HTTP/1.0" else "keep-alive" not in connection
        if method == "POST" and self.post_handler is not None:
            self._start_post(conn, target, headers, close)
            return
        if headers.get("content-length", "0") not in ("", "0") or "transfer-encoding" in headers:
            close = True  # a body we do not read: the connection cannot carry another request
        if method not in ("GET", "HEAD"):
            self._respond(conn, 405, b'{"error":"method not allowed"}\n', "application/json", method, close=True)
            return
        try:
            code, body, content_type = self.handler(target, headers)
        except Exception:  # noqa: BLE001 - one failing request must not take the server down
            log.exception("health request failed", extra={"path": target[:200]})
            code, body, content_type = 500, b'{"error":"internal error"}\n', "application/json"
        self._respond(conn, code, body, content_type, method, close=close)

    def _start_post(self, conn: _Conn, target: str, headers: dict[str, str], close: bool) -> None:
        if "transfer-encoding" in headers:
            self._respond(
                conn, 411, b'{"error":"a Content-Length is required"}\n', "application/json", "POST", close=True
            )
            return
        try:
            length = int(headers.get("content-length") or "0")
        except ValueError:
            length = -1
        if length < 0:
            self._respond(conn, 400, b'{"error":"bad Content-Length"}\n', "application/json", "POST", close=True)
            return
        if length > self.max_body:  # answered unread: the connection cannot carry another request
            self._respond(conn, 413, b'{"error":"body too large"}\n', "application/json", "POST", close=True)
            return
        if headers.get("expect") == "100-continue":  # curl and some HTTP clients wait for this before the body
            conn.outbuf += b"HTTP/1.1 100 Continue\r\n\r\n"
        conn.pending = ("POST", target, headers, close, length)

    def _answer_post(self, conn: _Conn, target: str, headers: dict[str, str], body: bytes, close: bool) -> None:
        assert self.post_handler is not None
        try:
            code, payload, content_type = self.post_handler(target, headers, body)
        except Exception:  # noqa: BLE001 - one failing request must not take the server down
            log.exception("POST request failed", extra={"path": target[:200]})
            code, payload, content_type = 500, b'{"error":"internal error"}\n', "application/json"
        self._respond(conn, code, payload, content_type, "POST", close=close)

    def _respond(self, conn: _Conn, code: int, body: bytes, content_type: str, method: str, *, close: bool) -> None:
        try:
            reason = HTTPStatus(code).phrase
        except ValueError:
            reason = ""
        closing = "Connection: close\r\n" if close else ""
        head = (
            f"HTTP/1.1 {code} {reason}\r\nServer: {self.server_name}\r\nDate: {formatdate(usegmt=True)}\r\n"
            f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\nCache-Control: no-store\r\n"
            f"{closing}\r\n"
        )
        conn.outbuf += head.encode("latin-1") + (b"" if method == "HEAD" else body)
        conn.close_after = conn.close_after or close

    def _flush(self, conn: _Conn) -> None:
        try:
            sent = conn.sock.send(conn.outbuf)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError:
            self._close(conn)
            return
        conn.outbuf = conn.outbuf[sent:]
        now = time.monotonic()
        if conn.outbuf:
            if conn.write_started is None:
                conn.write_started = now
                self._selector.modify(conn.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, conn)
            return
        if conn.close_after:
            self._close(conn)
            return
        if conn.write_started is not None:
            conn.write_started = None
            self._selector.modify(conn.sock, selectors.EVENT_READ, conn)
        conn.last_active = now
