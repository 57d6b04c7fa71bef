"""One runner per pair across every supervisor sharing a MongoDB: a lease with a fencing token.

Acquire takes the lease document when it has expired (by MongoDB's clock, so supervisors
on skewed hosts agree) and bumps ``fence``; renew extends it while we still own it with the
same fence. The holder also keeps a conservative local deadline on the monotonic clock:
when renewal fails and that deadline passes, :meth:`check` raises and the worker stops
writing before anyone else can take over. State writes carry the fence, so a runner that
was paused past its lease cannot overwrite its successor's watermark.

Owner ids are made and read here only (:func:`owner_id`). :func:`holding` is the one way
to write under the lease, for ``run-worker --once`` and the worker loop alike.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import TYPE_CHECKING, Any

from jirasync_cli.errors import JirasyncError
from jirasync_cli.store.mongo import StoreUnavailable, guarded, server_now

if TYPE_CHECKING:
    from jirasync_cli.store.pair import PairStore

LEASE_ID = "lease"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def process_scope() -> str | None:
    """``host:pid-namespace``: where a pid means the same process (None off Linux)."""
    try:
        namespace = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return None
    return f"{socket.gethostname()}:{namespace}"


def owner_id(pair: str) -> str:
    """This process as a lease owner: ``host:pid-namespace:pid:random:pair`` (where, which
    process, a random part because pids get reused, and the pair)."""
    scope = process_scope() or f"{socket.gethostname()}:?"
    return f"{scope}:{os.getpid()}:{uuid.uuid4().hex[:6]}:{pair}"


@dataclass(frozen=True)
class _Owner:
    """The parts of an :func:`owner_id` that matter to others; ids of older versions
    (``host:pid:random:pair``) parse with a scope that never matches and no pid."""

    scope: str  # host:pid-namespace
    host: str
    pid: int | None

    @classmethod
    def parse(cls, owner: str) -> _Owner:
        parts = owner.split(":")
        pid = int(parts[2]) if len(parts) >= 4 and parts[2].isdigit() else None
        return cls(":".join(parts[:2]), parts[0], pid)


def _dead_on_this_host(owner: str) -> bool:
    """True if ``owner`` is a process of our own process namespace that no longer runs.
    Containers sharing a hostname (host networking) have different pid namespaces, so their
    live workers are never mistaken for dead ones; where the namespace cannot be known,
    nobody is presumed dead."""
    parsed = _Owner.parse(owner)
    scope = process_scope()
    if scope is None or parsed.pid is None or parsed.scope != scope:
        return False
    try:
        os.kill(parsed.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


@dataclass(frozen=True)
class Holder:
    """Who runs a pair right now, as an operator wants to read it."""

    host: str
    pid: int | None
    since: datetime | None
    expires_at: datetime

    def describe(self) -> str:
        pid = f" pid {self.pid}" if self.pid is not None else ""
        since = f" since {self.since.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC" if self.since else ""
        return f"{self.host}{pid}{since}"


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@guarded
def live_holder(client: Any, database: str) -> Holder | None:
    """The runner holding the pair's lease now (by MongoDB's clock), or None when it is free:
    never taken, released, expired, or held by a process of this host that no longer runs."""
    doc = client[database].lease.find_one({"_id": LEASE_ID}) or {}
    owner, expires = doc.get("owner"), doc.get("expires_at")
    if not isinstance(owner, str) or not isinstance(expires, datetime):
        return None
    if _aware(expires) <= server_now(client) or _dead_on_this_host(owner):
        return None
    parsed = _Owner.parse(owner)
    since = doc.get("acquired_at")
    return Holder(parsed.host, parsed.pid, _aware(since) if isinstance(since, datetime) else None, _aware(expires))


class LeaseLost(JirasyncError):
    """This runner no longer holds the pair's lease and must stop writing: it lapsed
    (renewal failed), or a newer holder's fence refused a state write (fenced out)."""

    exit_code = 3


class LeaseBusy(JirasyncError):
    """Another live runner holds the pair's lease."""

    exit_code = 3

    def __init__(self, pair: str, holder: str) -> None:
        super().__init__(f"another runner holds the lease of {pair} ({holder}); it is being synced already")
        self.holder = holder


class Lease:
    """The pair's lease as one runner sees it; ``with Lease(...)`` releases it on the way out.
    Writing under it goes through :func:`holding`."""

    def __init__(self, client: Any, database: str, owner: str, ttl: float) -> None:
        self.client = client
        self.collection = client[database].lease
        self.owner = owner
        self.ttl = ttl
        self.fence = 0
        self.held = False
        self._deadline = 0.0  # monotonic time by which the lease may have lapsed
        self._lock = threading.Lock()
        self._renewer: threading.Thread | None = None
        self._offset: float | None = None  # MongoDB's clock minus ours, seconds
        self._offset_at = 0.0
        self._stop = threading.Event()

    def __enter__(self) -> Lease:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.release()

    @guarded
    def holder(self) -> dict[str, Any] | None:
        doc: dict[str, Any] | None = self.collection.find_one({"_id": LEASE_ID})
        return doc

    @guarded
    def acquire(self) -> bool:
        """Take (or keep) the lease. False while another live owner holds it."""
        from pymongo import ReturnDocument
        from pymongo.errors import DuplicateKeyError

        if self.held and self.renew():
            return True
        started = time.monotonic()
        now = self._server_now(fresh=True)
        try:
            self.collection.insert_one({"_id": LEASE_ID, "owner": None, "fence": 0, "expires_at": _EPOCH})
        except DuplicateKeyError:
            pass
        doc = self.collection.find_one_and_update(
            {"_id": LEASE_ID, "$or": [{"expires_at": {"$lt": now}}, {"owner": self.owner}]},
            {
                "$set": {"owner": self.owner, "expires_at": now + timedelta(seconds=self.ttl), "acquired_at": now},
                "$inc": {"fence": 1},
            },
            return_document=ReturnDocument.AFTER,
        )
        if doc is None:
            doc = self._take_from_dead_local_holder(now)
        with self._lock:
            if doc is None:
                self.held = False
                return False
            self.fence = int(doc["fence"])
            self.held = True
            self._deadline = started + self.ttl
        return True

    def _take_from_dead_local_holder(self, now: datetime) -> dict[str, Any] | None:
        """A holder on this host whose process is gone (a crashed worker being replaced by its
        supervisor) cannot be writing: take over now instead of waiting out its TTL."""
        from pymongo import ReturnDocument

        holder = self.collection.find_one({"_id": LEASE_ID}) or {}
        owner = holder.get("owner")
        if not isinstance(owner, str) or not _dead_on_this_host(owner):
            return None
        taken: dict[str, Any] | None = self.collection.find_one_and_update(
            {"_id": LEASE_ID, "owner": owner, "fence": holder.get("fence")},
            {
                "$set": {"owner": self.owner, "expires_at": now + timedelta(seconds=self.ttl), "acquired_at": now},
                "$inc": {"fence": 1},
            },
            return_document=ReturnDocument.AFTER,
        )
        return taken

    def renew(self) -> bool:
        """Extend our lease; False (and not held) if it was lost or MongoDB is away."""
        started = time.monotonic()
        try:
            now = self._server_now()
            result = guarded(self.collection.update_one)(
                {"_id": LEASE_ID, "owner": self.owner, "fence": self.fence},
                {"$set": {"expires_at": now + timedelta(seconds=self.ttl)}},
            )
        except StoreUnavailable:
            return self.valid()  # keep going only while the old lease surely still runs
        with self._lock:
            if result.matched_count != 1:
                self.held = False
                return False
            self._deadline = started + self.ttl
        return True

    def _server_now(self, fresh: bool = False) -> datetime:
        """MongoDB's clock, read (one round trip) at acquire and about once a minute; in
        between from our clock plus the last offset: renewals of idle workers stay cheap."""
        now_local = time.time()
        if fresh or self._offset is None or now_local - self._offset_at > 60:
            server = server_now(self.client)
            self._offset, self._offset_at = server.timestamp() - time.time(), time.time()
            return server
        return datetime.fromtimestamp(now_local + self._offset, UTC)

    def valid(self) -> bool:
        # Leave a margin: stop a little before the lease could lapse.
        return self.held and time.monotonic() < self._deadline - min(2.0, self.ttl / 10)

    def check(self) -> None:
        if not self.valid():
            self.held = False
            raise LeaseLost("lease lost or expired; stopping writes")

    def start_renewal(self) -> None:
        """Renew every ttl/3 in the background while held (long cycles outlive one TTL)."""
        if self._renewer is not None:
            return
        self._stop.clear()

        def loop() -> None:
            while not self._stop.wait(self.ttl / 3):
                if self.held:
                    self.renew()

        self._renewer = threading.Thread(target=loop, name="lease-renewal", daemon=True)
        self._renewer.start()

    def stop_renewal(self) -> None:
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join(timeout=5)
            self._renewer = None

    def describe_holder(self) -> str:
        doc = self.holder() or {}
        expires = doc.get("expires_at")
        until = f" until {expires.isoformat()}" if isinstance(expires, datetime) else ""
        return f"{doc.get('owner') or 'nobody'}{until}"

    def release(self) -> None:
        """Let another runner take over at once; the fence counter stays."""
        self.stop_renewal()
        if not self.held:
            return
        try:
            guarded(self.collection.update_one)(
                {"_id": LEASE_ID, "owner": self.owner, "fence": self.fence},
                {"$set": {"expires_at": _EPOCH, "owner": None}},
            )
        except StoreUnavailable:
            pass
        self.held = False


@contextmanager
def holding(lease: Lease, store: PairStore) -> Iterator[Lease]:
    """Run the block as the pair's lease holder: the lease taken (or kept, when already
    held), renewed in the background, and ``store``'s state writes fenced with it.

    Raises :class:`LeaseBusy` while another live runner holds it. :class:`LeaseLost` out of
    the block (the lease lapsed, or a write was fenced out) leaves the lease not held and
    no longer renewed. Leaving the block otherwise keeps the lease (a worker holds it from
    cycle to cycle); releasing it is the lease's owner's business (``with Lease(...)``).
    """
    if not lease.acquire():
        try:
            holder = lease.describe_holder()
        except StoreUnavailable:
            holder = "holder unknown"
        raise LeaseBusy(store.pair, holder)
    store.fence = lease.fence
    lease.start_renewal()
    try:
        yield lease
    except LeaseLost:
        lease.stop_renewal()
        lease.held = False
        raise
