"""The records the sync reasons about and the store keeps: pairs, snapshots, intents.

Plain data: the planner works on them without I/O, and :mod:`jirasync_cli.store.pair`
turns them into documents and back (``from_doc``/``to_doc`` keep the stored shapes in one
place, beside the fields they carry).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


def content_hash(value: Any) -> str:
    data = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(data.encode()).hexdigest()[:16]


def utc(value: Any) -> datetime | None:
    """A stored date as an aware datetime (MongoDB hands back naive UTC)."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return None


@dataclass
class Mapping:
    user_key: str
    dev_key: str | None
    state: str  # "pending" (create intended, key unknown), "linked", or "failed" (Jira refused the create)
    intent_id: str | None = None
    linked: bool = False  # an issue link between the two exists (pending: the create request carries it)
    created_at: datetime | None = None
    rule_id: str | None = None
    link_after: bool = False  # pending: link in a request of its own once created (not on the create screen)
    error: str | None = None  # failed: why, and the user issue's "updated" then (retried once it changes)
    failed_updated: str | None = None
    # pending: whether the create request may have been sent (None: recorded by an older
    # version, which did not say). Not sent: recovery drops the entry at once.
    sending: bool | None = None
    adopted: bool = False  # rebuilt from the dev issue (its source property or a person's link)

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Mapping:
        return cls(
            user_key=doc["_id"],
            dev_key=doc.get("dev_key"),
            state=doc.get("state", "linked"),
            intent_id=doc.get("intent_id"),
            linked=bool(doc.get("linked")),
            created_at=utc(doc.get("created_at")),
            rule_id=doc.get("rule_id"),
            link_after=bool(doc.get("link_after")),
            error=doc.get("error"),
            failed_updated=doc.get("failed_updated"),
            sending=doc.get("sending"),
            adopted=bool(doc.get("adopted")),
        )


@dataclass
class Snapshot:
    key: str
    side: str
    status: str | None = None
    version: int = 0  # bumps with every status change acted on: names the "event" for intents
    updated: str | None = None
    project: str | None = None
    issuetype: str | None = None
    fields_hash: str | None = None
    comments: dict[str, str] = field(default_factory=dict)  # comment id -> body hash, as last seen
    own: set[str] = field(default_factory=set)  # comment ids we wrote on this issue
    mirrors: dict[str, str] = field(default_factory=dict)  # comment id here -> its copy's id on the partner
    restricted: dict[str, str] = field(default_factory=dict)  # comment id -> its privacy, for non-public ones

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Snapshot:
        return cls(
            key=doc["_id"],
            side=doc.get("side", "user"),
            status=doc.get("status"),
            version=int(doc.get("version") or 0),
            updated=doc.get("updated"),
            project=doc.get("project"),
            issuetype=doc.get("issuetype"),
            fields_hash=doc.get("fields_hash"),
            comments=dict(doc.get("comments") or {}),
            own=set(doc.get("own") or []),
            mirrors=dict(doc.get("mirrors") or {}),
            restricted=dict(doc.get("restricted") or {}),
        )


class IntentKind(StrEnum):
    """What a recorded intent is about to write. Creates are recorded in ``issue_map`` (the
    pending mapping); the others in the ``journal``."""

    CREATE = "create"
    LINK = "link"
    TRANSITION = "transition"
    COMMENT = "comment"


@dataclass(frozen=True)
class Intent:
    """A write recorded before it is sent, so a crash never makes it happen twice.

    ``data`` says what recovery needs to recognise the write in Jira: ``target_status`` and
    ``side`` (transition), ``dev_key`` (link), ``source`` (comment: the original a copy is of).
    """

    id: str
    kind: IntentKind | str  # str: a kind this version does not know (recovery says so)
    key: str
    data: dict[str, Any] = field(default_factory=dict)
    state: str = "pending"  # "pending" until the write's outcome is recorded, then "done"
    result: dict[str, Any] | None = None  # what the write returned (done)

    @property
    def done(self) -> bool:
        return self.state == "done"

    def to_doc(self, *, fence: int, at: datetime) -> dict[str, Any]:
        """The journal document recording it (pending)."""
        return {
            "_id": self.id,
            "kind": str(self.kind),
            "key": self.key,
            "state": "pending",
            "data": self.data,
            "created_at": at,
            "fence": fence,
        }

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Intent:
        raw = doc.get("kind", "")
        kind: IntentKind | str = IntentKind(raw) if raw in IntentKind._value2member_map_ else str(raw)
        return cls(
            id=doc["_id"],
            kind=kind,
            key=doc.get("key", ""),
            data=dict(doc.get("data") or {}),
            state=doc.get("state", "pending"),
            result=doc.get("result"),
        )


class ActionKind(StrEnum):
    """What the sync did to a pair of issues: a planned action's kind, the ``action`` of its
    audit entry, and the key it is counted under in a cycle's report."""

    CREATE_ISSUE = "create_issue"
    LINK = "link"
    TRANSITION = "transition"
    COMMENT = "comment"
    MIRROR_COMMENT = "mirror_comment"
    UPDATE_MIRROR = "update_mirror"
    DELETE_MIRROR = "delete_mirror"
    EDIT_ISSUE = "edit_issue"
    ADOPT_MAPPING = "adopt_mapping"
    CHECK_USER_ISSUE = "check_user_issue"
    PARTNER_GONE = "partner_gone"  # never planned: applying found a partner deleted or moved away


class AuditEvent(StrEnum):
    """Audit entries that are not an action."""

    UNIT = "unit"  # a unit failed or was deferred
    NOTE = "note"  # something said about a unit (see sync.actions.Note)
    CREATE_SCREEN = "create_screen"  # the create screen leaves copied fields out
    EDIT_SCREEN = "edit_screen"  # the edit screen leaves copied fields out


class Outcome(StrEnum):
    OK = "ok"
    ERROR = "error"
    DEFERRED = "deferred"
    INFO = "info"
    WARNING = "warning"


@dataclass(frozen=True)
class AuditEntry:
    """One line of a pair's audit trail (the ``audit`` collection)."""

    cycle: str  # the cycle's id, or "recovery"
    keys: list[str]
    action: ActionKind | AuditEvent
    result: Outcome
    detail: dict[str, Any]
    ts: datetime = field(default_factory=lambda: datetime.now(UTC))

    def to_doc(self) -> dict[str, Any]:
        return {
            "ts": self.ts,
            "cycle": self.cycle,
            "keys": self.keys,
            "action": str(self.action),
            "result": str(self.result),
            "detail": self.detail,
        }
