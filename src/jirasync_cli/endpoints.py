"""Say which endpoint failed and how: refused, unknown host or timed out (never credentials).

Connection errors are only useful when they name the host and the setting that chose it;
the libraries' own texts (``ConnectionError``, ``server selection timed out``) do neither.
"""

from __future__ import annotations

import re
import socket
from urllib.parse import urlsplit

_UNKNOWN_HOST = re.compile(
    r"Name or service not known|nodename nor servname|Temporary failure in name resolution|"
    r"No address associated|getaddrinfo failed|Errno -[235]\]",
    re.I,
)


def classify(text: str) -> str:
    """A short reason from a library's error text."""
    if re.search(r"refused", text, re.I):
        return "connection refused (nothing listens there)"
    if _UNKNOWN_HOST.search(text):
        return "unknown host (the name does not resolve)"
    if re.search(r"timed? ?out", text, re.I):
        return "timed out"
    return " ".join(text.split())[:160]


def host_port(url: str, default_port: int | None = None) -> str:
    """``host:port`` of a URL, without user name or password."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or default_port or {"https": 443, "http": 80}.get(parts.scheme)
    except ValueError:
        return "an invalid URL"
    return f"{host}:{port}" if port else host


def mongo_failure(text: str) -> tuple[str, str]:
    """(``host:port``, reason) from a pymongo ServerSelectionTimeoutError text."""
    first = re.match(r"^\s*([^\s,:]+:\d+): (.*?)(?: \(configured timeouts|, Timeout:|$)", text)
    if first:
        return first.group(1), classify(first.group(2))
    server = re.search(r"ServerDescription \('([^']+)', (\d+)\)", text)
    error = re.search(r"error=\w+\('(.*?)'\)", text)
    where = f"{server.group(1)}:{server.group(2)}" if server else "the configured servers"
    return where, classify(error.group(1) if error else "timed out")


def probe(url: str, timeout: float = 5.0) -> str | None:
    """Why nothing answers at ``url``'s host and port, or None when a connection opens."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port or {"https": 443, "http": 80}.get(parts.scheme, 443)
    except ValueError:
        return "invalid URL"
    if not host:
        return "invalid URL (no host)"
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return "unknown host (the name does not resolve)"
    try:
        address = infos[0][4]  # (host, port[, flow, scope]) of an IPv4 or IPv6 stream socket
        with socket.create_connection((str(address[0]), int(address[1])), timeout=timeout):
            return None
    except ConnectionRefusedError:
        return "connection refused (nothing listens there)"
    except TimeoutError:
        return f"timed out after {timeout:g}s"
    except OSError as exc:
        return classify(exc.strerror or str(exc))
