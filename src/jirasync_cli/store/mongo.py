"""MongoDB connection handling: short timeouts and one clear error when the server is away."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from jirasync_cli.errors import JirasyncError

T = TypeVar("T")


class StoreUnavailable(JirasyncError):
    """MongoDB cannot be reached or refused the operation."""


def quiet_idle_threads() -> None:
    """Let an idle worker sleep: pymongo's background threads (topology monitor, RTT
    monitor, cursor reaper) each wake every 0.5 s to poll for work, which across 50 idle
    workers was most of their CPU. Poll every 2 s and reap cursors every 5 s instead: a
    worker keeps no open cursors, and a server check after an error (what the fast wake
    serves) stays far inside the server-selection timeout. Module constants, read when a
    client is created; left alone if a pymongo release renames them."""
    import pymongo.common as common

    if hasattr(common, "MIN_HEARTBEAT_INTERVAL") and hasattr(common, "KILL_CURSOR_FREQUENCY"):
        common.MIN_HEARTBEAT_INTERVAL = 2.0
        common.KILL_CURSOR_FREQUENCY = 5


def mongo_client(url: str, *, timeout_ms: int = 5000) -> Any:
    from pymongo import MongoClient

    try:
        return MongoClient(
            url,
            serverSelectionTimeoutMS=timeout_ms,
            connectTimeoutMS=timeout_ms,
            socketTimeoutMS=max(timeout_ms * 4, 20000),
            appname="jirasync",
            tz_aware=True,
            # Operations notice a failed server at once and ask for a check; the periodic
            # check only matters while idle, where every 30 s is plenty. Polling instead of
            # the streaming protocol drops a thread and its round trips (an idle client
            # costs a fifth of the CPU; measured in bench/resources.py).
            heartbeatFrequencyMS=30000,
            serverMonitoringMode="poll",
        )
    except Exception as exc:  # ConfigurationError, InvalidURI, ...
        raise StoreUnavailable(f"invalid MongoDB URL: {type(exc).__name__}: {_strip_credentials(str(exc))}") from None


def _strip_credentials(text: str) -> str:
    # A URI echoed in an error may carry user:password@; drop that part.
    import re

    return re.sub(r"//[^/@\s]+@", "//***@", text)


def server_now(client: Any) -> datetime:
    """MongoDB's clock: every supervisor compares lease expiry against the same clock."""
    reply = guarded(lambda: client.admin.command("hello"))()
    local = reply.get("localTime")
    if isinstance(local, datetime):
        return local if local.tzinfo else local.replace(tzinfo=UTC)
    return datetime.now(UTC)


def guarded(fn: Callable[..., T]) -> Callable[..., T]:
    """Run ``fn`` turning connection failures into :class:`StoreUnavailable`."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        from pymongo.errors import (
            ConnectionFailure,
            OperationFailure,
            ServerSelectionTimeoutError,
        )

        try:
            return fn(*args, **kwargs)
        except ServerSelectionTimeoutError as exc:
            from jirasync_cli.endpoints import mongo_failure

            where, reason = mongo_failure(_strip_credentials(str(exc)))
            raise StoreUnavailable(f"MongoDB at {where} (JIRASYNC_MONGODB_URL) is unreachable: {reason}") from None
        except ConnectionFailure as exc:
            raise StoreUnavailable(f"MongoDB connection failed: {_strip_credentials(str(exc))[:200]}") from None
        except OperationFailure as exc:
            if exc.code in (11000, 11001):  # duplicate key: callers handle it
                raise
            raise StoreUnavailable(f"MongoDB refused the operation: {_strip_credentials(str(exc))[:200]}") from None

    return wrapper
