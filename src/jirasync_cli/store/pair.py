"""One pair's database: every collection the sync keeps, and the only code that touches them.

Collections (all in the pair's own database, e.g. ``sync_ab``):

``sync_state``  one document: watermark (``last_sync``, Jira's clock), ``initial_sync_completed``,
                last cycle, counters, keys to retry; writes are fenced by the lease token.
``issue_map``   user key ↔ dev key, unique on both; a ``pending`` entry is the intent to create.
``snapshots``   per issue: last status/``updated`` seen, hash of synced fields, comment ids seen,
                comments we wrote (``own``) and where each comment was mirrored to (``mirrors``).
``journal``     intents of non-idempotent writes (comment, transition, link), recorded before
                the write and resolved after a crash by looking in Jira.
``audit``       one entry per action taken.
``workers``     heartbeats of the runners (for ``jirasync health --serve``).
``lease``       one runner per pair (see :mod:`jirasync_cli.store.lease`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from jirasync_cli.store.lease import LeaseLost
from jirasync_cli.store.mongo import guarded
from jirasync_cli.sync.records import ActionKind, AuditEntry, Intent, Mapping, Outcome, Snapshot, utc

STATE_ID = "state"
JOURNAL_TTL = timedelta(days=7)
AUDIT_TTL = timedelta(days=90)


QUERY_KEYS = 500  # keys per $in query: large ones are slow on some servers (the embedded one)


def batches(keys: Iterable[str], size: int | None = None) -> Iterable[list[str]]:
    """``keys`` without repeats, ``size`` (default :data:`QUERY_KEYS`) at a time."""
    size = size or QUERY_KEYS
    unique = list(dict.fromkeys(keys))
    for start in range(0, len(unique), size):
        yield unique[start : start + size]


@dataclass
class SyncState:
    name: str
    last_sync: datetime | None = None
    initial_sync_completed: bool = False
    created_at: datetime | None = None
    updated_at: datetime | None = None
    fence: int = 0
    last_cycle: dict[str, Any] | None = None
    retry_keys: dict[str, Any] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    reconcile_ids: list[str] = field(default_factory=list)  # issues the last cycle wrote
    watch_from: datetime | None = None  # started "from now": changes before this are out of scope
    # A cross-site pair's watermark per side ("user", "dev"), each by its own site's clock
    watermarks: dict[str, datetime] = field(default_factory=dict)

    @classmethod
    def from_doc(cls, name: str, doc: dict[str, Any] | None) -> SyncState:
        if not doc:
            return cls(name=name)
        return cls(
            name=doc.get("name", name),
            last_sync=utc(doc.get("last_sync")),
            initial_sync_completed=bool(doc.get("initial_sync_completed")),
            created_at=utc(doc.get("created_at")),
            updated_at=utc(doc.get("updated_at")),
            fence=int(doc.get("fence") or 0),
            last_cycle=doc.get("last_cycle"),
            retry_keys=dict(doc.get("retry_keys") or {}),
            counters=dict(doc.get("counters") or {}),
            reconcile_ids=[str(i) for i in doc.get("reconcile_ids") or []],
            watch_from=utc(doc.get("watch_from")),
            watermarks={str(k): t for k, v in (doc.get("watermarks") or {}).items() if (t := utc(v)) is not None},
        )


class WriteBatch:
    """Records that follow Jira writes, kept in memory and flushed in bulk.

    One round trip per collection instead of one per record: during an initial sync of
    thousands of issues this is most of MongoDB's share of the time. Losing a batch in a
    crash is safe: every record it holds can be rebuilt from the intent written *before*
    the Jira write (see :mod:`jirasync_cli.sync.recovery`). Flush order matters: intents are
    marked done last, after what they mean was stored.
    """

    def __init__(self, store: PairStore) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._ops: dict[str, list[Any]] = {"issue_map": [], "snapshots": [], "journal": []}
        self._audit: list[AuditEntry] = []

    def _add(self, collection: str, query: dict[str, Any], update: dict[str, Any], upsert: bool = False) -> None:
        from pymongo import UpdateOne

        with self._lock:
            self._ops[collection].append(UpdateOne(query, update, upsert=upsert))

    def create_done(self, user_key: str, dev_key: str, *, linked: bool) -> None:
        self._add(
            "issue_map",
            {"_id": user_key},
            {"$set": {"dev_key": dev_key, "state": "linked", "linked": linked, "linked_at": datetime.now(UTC)}},
        )

    def linked(self, user_key: str) -> None:
        self._add("issue_map", {"_id": user_key}, {"$set": {"linked": True}})

    def unlinked(self, user_key: str) -> None:
        self._add("issue_map", {"_id": user_key}, {"$set": {"linked": False}})

    def snapshot(self, key: str, values: dict[str, Any]) -> None:
        self._add("snapshots", {"_id": key}, {"$set": values}, upsert=True)

    def own_comment(self, key: str, comment_id: str, body_hash: str, source: tuple[str, str] | None = None) -> None:
        self._add(
            "snapshots",
            {"_id": key},
            {"$addToSet": {"own": comment_id}, "$set": {f"comments.{comment_id}": body_hash}},
            upsert=True,
        )
        if source is not None:
            self._add("snapshots", {"_id": source[0]}, {"$set": {f"mirrors.{source[1]}": comment_id}}, upsert=True)

    def mirror_removed(self, source_key: str, comment_id: str, intent_id: str) -> None:
        """The copy of ``comment_id`` was deleted: forget it, and the intent that wrote it, so
        the original is copied afresh if it becomes shareable again."""
        from pymongo import DeleteOne

        self._add("snapshots", {"_id": source_key}, {"$unset": {f"mirrors.{comment_id}": ""}})
        with self._lock:
            self._ops["journal"].append(DeleteOne({"_id": intent_id}))

    def status(self, key: str, status: str, *, side: str) -> None:
        self.snapshot(key, {"status": status, "side": side})

    def fields_hash(self, key: str, value: str) -> None:
        self.snapshot(key, {"fields_hash": value})

    def intent_done(self, intent_id: str, result: dict[str, Any] | None = None) -> None:
        self._add(
            "journal",
            {"_id": intent_id},
            {"$set": {"state": "done", "result": result or {}, "done_at": datetime.now(UTC)}},
        )

    def audit(self, entries: list[AuditEntry]) -> None:
        with self._lock:
            self._audit.extend(entries)

    @guarded
    def flush(self) -> None:
        with self._lock:
            ops, self._ops = self._ops, {name: [] for name in self._ops}
            audit, self._audit = self._audit, []
        # Snapshots before the mappings that make them matter, the audit before the intents
        # are closed: a kill between two of these writes leaves nothing recovery cannot redo.
        if ops["snapshots"]:
            self.store.db.snapshots.bulk_write(ops["snapshots"], ordered=True)
        if audit:
            self.store.audit(audit)
        for name in ("issue_map", "journal"):
            if ops[name]:
                self.store.db[name].bulk_write(ops[name], ordered=True)


class PairStore:
    def __init__(self, client: Any, database: str, pair: str) -> None:
        self.client = client
        self.db = client[database]
        self.database = database
        self.pair = pair
        self.fence = 0  # set by the lease holder; state writes carry it

    # -- setup ------------------------------------------------------------------------
    @guarded
    def ensure_indexes(self) -> None:
        """Idempotent: safe at every start-up."""
        from pymongo import ASCENDING, DESCENDING

        self.db.issue_map.create_index([("dev_key", ASCENDING)], unique=True, sparse=True, name="dev_key_unique")
        self.db.snapshots.create_index([("side", ASCENDING)], name="side")
        self.db.journal.create_index([("state", ASCENDING)], name="state")
        self.db.journal.create_index(
            [("done_at", ASCENDING)], expireAfterSeconds=int(JOURNAL_TTL.total_seconds()), name="done_ttl"
        )
        self.db.audit.create_index([("ts", DESCENDING)], name="ts")
        self.db.audit.create_index([("keys", ASCENDING), ("ts", DESCENDING)], name="keys_ts")
        self.db.audit.create_index([("expires_at", ASCENDING)], expireAfterSeconds=0, name="audit_ttl")
        # One heartbeat document per worker start; old ones go after a day.
        self.db.workers.create_index([("ts", ASCENDING)], expireAfterSeconds=86400, name="heartbeat_ttl")

    @guarded
    def restore_indexes(self) -> bool:
        """Recreate the indexes if someone dropped them (or the whole database) under a
        running pair: the unique index is what makes a second dev issue for one user issue
        impossible. One round trip when all is well. Returns whether it had to."""
        if "dev_key_unique" in self.db.issue_map.index_information():
            return False
        self.ensure_indexes()
        return True

    # -- sync state -------------------------------------------------------------------
    @guarded
    def load_state(self) -> SyncState:
        return SyncState.from_doc(self.pair, self.db.sync_state.find_one({"_id": STATE_ID}))

    @guarded
    def save_state(self, counts: dict[str, int] | None = None, **values: Any) -> None:
        """Update the state document (adding ``counts`` to its running counters); refused if
        a newer lease holder (higher fence) wrote it."""
        from pymongo.errors import DuplicateKeyError

        now = datetime.now(UTC)
        update: dict[str, Any] = {
            "$set": {**values, "name": self.pair, "updated_at": now, "fence": self.fence},
            "$setOnInsert": {"created_at": now},
        }
        increments = {f"counters.{k}": v for k, v in (counts or {}).items() if v}
        if increments:
            update["$inc"] = increments
        query = {"_id": STATE_ID, "$or": [{"fence": {"$lte": self.fence}}, {"fence": {"$exists": False}}]}
        try:
            self.db.sync_state.update_one(query, update, upsert=True)
        except DuplicateKeyError:
            raise LeaseLost(
                f"lease of {self.pair} lost: a newer lease holder has written its state; stopping writes"
            ) from None

    @guarded
    def reset_state(self, forget_mappings: bool = False) -> dict[str, int]:
        """Next run does a full sync (re-reads every issue).

        Mappings and snapshots stay unless asked: with them the full sync acts only on what
        really changed since it was last seen, and never creates or comments twice.
        ``forget_mappings`` also drops snapshots and the journal; pairs are then rebuilt
        from the dev issues' source property, as a baseline.
        """
        counts = {"sync_state": self.db.sync_state.delete_many({}).deleted_count}
        if forget_mappings:
            counts["issue_map"] = self.db.issue_map.delete_many({}).deleted_count
            counts["snapshots"] = self.db.snapshots.delete_many({}).deleted_count
            counts["journal"] = self.db.journal.delete_many({}).deleted_count
        return counts

    # -- mappings ---------------------------------------------------------------------
    @guarded
    def mappings_for(self, user_keys: Iterable[str] = (), dev_keys: Iterable[str] = ()) -> list[Mapping]:
        # One query per key field (each served by its index), not one $or of both: servers
        # that scan for an $or (the embedded one) slow down as the map grows.
        found: dict[str, Mapping] = {}
        for key_field, keys in (("_id", user_keys), ("dev_key", dev_keys)):
            for batch in batches(keys):
                for doc in self.db.issue_map.find({key_field: {"$in": batch}}):
                    found.setdefault(doc["_id"], Mapping.from_doc(doc))
        return list(found.values())

    @guarded
    def mapping(self, user_key: str) -> Mapping | None:
        doc = self.db.issue_map.find_one({"_id": user_key})
        return Mapping.from_doc(doc) if doc else None

    @guarded
    def mapping_by_dev(self, dev_key: str) -> Mapping | None:
        doc = self.db.issue_map.find_one({"dev_key": dev_key})
        return Mapping.from_doc(doc) if doc else None

    @guarded
    def pending_creates(self) -> list[Mapping]:
        return [Mapping.from_doc(d) for d in self.db.issue_map.find({"state": "pending"})]

    @guarded
    def begin_create(
        self, user_key: str, intent_id: str, *, link: bool, rule_id: str, at: datetime, link_after: bool = False
    ) -> Mapping | None:
        """Record the intent to create a dev issue. None if one is recorded already (returns nothing new)."""
        from pymongo.errors import DuplicateKeyError

        doc = {
            "_id": user_key,
            "state": "pending",
            "intent_id": intent_id,
            "linked": link,
            "link_after": link_after,
            "sending": False,
            "rule_id": rule_id,
            "created_at": at,
            "pair": self.pair,
        }
        try:
            self.db.issue_map.insert_one(doc)
        except DuplicateKeyError:
            return None
        return Mapping.from_doc(doc)

    @guarded
    def abandon_create(self, user_key: str) -> None:
        """The create did not happen: drop the pending intent so it can be planned again."""
        self.db.issue_map.delete_one({"_id": user_key, "state": "pending"})

    @guarded
    def create_sending(self, user_key: str) -> None:
        """Right before the create request: from now on it may exist in Jira. Until then a
        crash leaves a pending entry that recovery can drop without asking Jira."""
        self.db.issue_map.update_one({"_id": user_key, "state": "pending"}, {"$set": {"sending": True}})

    @guarded
    def link_after_create(self, user_key: str) -> None:
        """The pending create goes without its link (refused by the screen): link afterwards.
        Stored before the request, so recovery searches for the issue instead of its link."""
        self.db.issue_map.update_one(
            {"_id": user_key, "state": "pending"}, {"$set": {"linked": False, "link_after": True}}
        )

    @guarded
    def fail_create(self, user_key: str, error: str, updated: str | None) -> None:
        """Jira refused the create for good: remember why, and retry only once the user issue changes."""
        self.db.issue_map.update_one(
            {"_id": user_key, "state": "pending"},
            {"$set": {"state": "failed", "error": error, "failed_updated": updated}, "$unset": {"intent_id": ""}},
        )

    @guarded
    def clear_failed_creates(self, user_keys: list[str]) -> None:
        if user_keys:
            self.db.issue_map.delete_many({"_id": {"$in": user_keys}, "state": "failed"})

    @guarded
    def adopt_mapping(self, user_key: str, dev_key: str, *, linked: bool) -> bool:
        """Rebuild a lost mapping from the dev issue's source property. False if it conflicts."""
        from pymongo.errors import DuplicateKeyError

        try:
            self.db.issue_map.update_one(
                {"_id": user_key},
                {
                    "$setOnInsert": {
                        "dev_key": dev_key,
                        "state": "linked",
                        "linked": linked,
                        "created_at": datetime.now(UTC),
                        "adopted": True,
                        "pair": self.pair,
                    }
                },
                upsert=True,
            )
        except DuplicateKeyError:
            return False
        return True

    @guarded
    def forget_mapping(self, user_key: str, dev_key: str) -> None:
        """The pair ended (a partner was deleted or moved away)."""
        self.db.issue_map.delete_one({"_id": user_key, "dev_key": dev_key})

    @guarded
    def count_mappings(self) -> dict[str, int]:
        return {
            "linked": self.db.issue_map.count_documents({"state": "linked"}),
            "pending": self.db.issue_map.count_documents({"state": "pending"}),
            "failed": self.db.issue_map.count_documents({"state": "failed"}),
        }

    # -- snapshots --------------------------------------------------------------------
    @guarded
    def snapshots(self, keys: Iterable[str]) -> dict[str, Snapshot]:
        return {
            d["_id"]: Snapshot.from_doc(d)
            for batch in batches(keys)
            for d in self.db.snapshots.find({"_id": {"$in": batch}})
        }

    # -- journal and batched records ----------------------------------------------------------------------
    def batch(self) -> WriteBatch:
        return WriteBatch(self)

    @guarded
    def begin_creates(self, entries: list[dict[str, Any]]) -> set[str]:
        """Record many create intents at once; returns the user keys that had one already."""
        docs = [
            {
                "_id": e["user_key"],
                "state": "pending",
                "intent_id": e["intent_id"],
                "linked": e["link"],
                "link_after": e.get("link_after", False),
                "sending": False,
                "rule_id": e["rule_id"],
                "created_at": e["at"],
                "pair": self.pair,
            }
            for e in entries
        ]
        return self._insert_new(self.db.issue_map, docs)

    @guarded
    def begin_intents(self, intents: list[Intent]) -> dict[str, Intent]:
        """Record many intents at once; returns the ones recorded before (by id)."""
        now = datetime.now(UTC)
        existing = self._insert_new(self.db.journal, [i.to_doc(fence=self.fence, at=now) for i in intents])
        if not existing:
            return {}
        return {d["_id"]: Intent.from_doc(d) for d in self.db.journal.find({"_id": {"$in": sorted(existing)}})}

    @staticmethod
    def _insert_new(collection: Any, docs: list[dict[str, Any]]) -> set[str]:
        from pymongo.errors import BulkWriteError

        if not docs:
            return set()
        try:
            collection.insert_many(docs, ordered=False)
        except BulkWriteError as exc:
            dup = [e for e in exc.details.get("writeErrors", []) if e.get("code") in (11000, 11001)]
            if len(dup) != len(exc.details.get("writeErrors", [])):
                raise
            return {docs[e["index"]]["_id"] for e in dup}
        return set()

    @guarded
    def drop_intents(self, intent_ids: list[str]) -> None:
        if intent_ids:
            self.db.journal.delete_many({"_id": {"$in": intent_ids}, "state": "pending"})

    @guarded
    def begin_intent(self, intent: Intent) -> Intent | None:
        """Record an intent before its write. Returns the existing entry if it was recorded before."""
        from pymongo.errors import DuplicateKeyError

        try:
            self.db.journal.insert_one(intent.to_doc(fence=self.fence, at=datetime.now(UTC)))
        except DuplicateKeyError:
            doc = self.db.journal.find_one({"_id": intent.id})
            return Intent.from_doc(doc) if doc else None
        return None

    @guarded
    def drop_intent(self, intent_id: str) -> None:
        self.db.journal.delete_one({"_id": intent_id, "state": "pending"})

    @guarded
    def pending_intents(self) -> list[Intent]:
        return [Intent.from_doc(d) for d in self.db.journal.find({"state": "pending"}).sort("created_at", 1)]

    # -- audit ------------------------------------------------------------------------
    @guarded
    def audit(self, entries: list[AuditEntry]) -> None:
        if entries:
            expires = datetime.now(UTC) + AUDIT_TTL
            self.db.audit.insert_many([{**e.to_doc(), "expires_at": expires} for e in entries], ordered=False)

    @guarded
    def recent_audit(self, limit: int = 20, key: str | None = None) -> list[dict[str, Any]]:
        query = {"keys": key} if key else {}
        docs = self.db.audit.find(query, {"_id": 0, "expires_at": 0}).sort("ts", -1).limit(limit)
        return list(docs)

    @guarded
    def audited_create(self, user_key: str) -> bool:
        query = {"action": str(ActionKind.CREATE_ISSUE), "result": str(Outcome.OK), "keys": user_key}
        return self.db.audit.find_one(query) is not None

    # -- heartbeats -------------------------------------------------------------------
    @guarded
    def write_heartbeat(self, instance: str, status: dict[str, Any]) -> None:
        self.db.workers.update_one(
            {"_id": instance}, {"$set": {**status, "pair": self.pair, "ts": datetime.now(UTC)}}, upsert=True
        )

    @guarded
    def heartbeats(self) -> list[dict[str, Any]]:
        return list(self.db.workers.find({}))
