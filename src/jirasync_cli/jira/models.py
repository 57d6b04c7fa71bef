"""Issues as the sync sees them, parsed once from Jira's JSON (Cloud and Server shapes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from jirasync_cli.jira.adf import Body

# What one search asks for: everything the planner needs, so no per-issue GET follows.
COPIED_FIELDS = ("summary", "description", "priority", "labels")  # copied to a dev issue on create
SEARCH_FIELDS = (
    "summary",
    "description",
    "status",
    "priority",
    "labels",
    "issuetype",
    "project",
    "created",
    "updated",
    "comment",
    "issuelinks",
    "creator",
    "assignee",
)
SOURCE_PROPERTY = "jirasync.source"  # on a dev issue: which user issue it was created for
COMMENT_PROPERTY = "jirasync.comment"  # on a comment we wrote: the intent that wrote it
# Jira Service Management's marker of an internal note (agents only): {"internal": true}
INTERNAL_PROPERTY = "sd.public.comment"


def parse_jira_time(value: str) -> datetime:
    """``2026-11-24T04:09:30.390+0100`` (Jira's form, offset without colon) → aware datetime."""
    if len(value) >= 5 and value[-5] in "+-" and value[-3] != ":":
        value = value[:-2] + ":" + value[-2:]
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def user_identity(user: dict[str, Any] | None) -> str:
    """Stable id of a Jira user: accountId on Cloud, key/name on Server."""
    if not user:
        return ""
    return str(user.get("accountId") or user.get("key") or user.get("name") or "")


def person_of(user: dict[str, Any] | None) -> dict[str, str] | None:
    """A user as the mapping tables name people: ``id`` (Cloud account id, Data Center user
    name), ``key`` (Data Center), ``name`` (display name), ``email`` where the site shows it."""
    if not isinstance(user, dict) or not (user.get("accountId") or user.get("name")):
        return None
    return {
        "id": str(user.get("accountId") or user.get("name")),
        "key": str(user.get("key") or ""),
        "name": str(user.get("displayName") or ""),
        "email": str(user.get("emailAddress") or ""),
    }


@dataclass(frozen=True)
class CommentData:
    id: str
    author_id: str
    author_name: str
    body: Body
    created: str
    updated: str
    properties: dict[str, Any] = field(default_factory=dict, compare=False)
    visibility: dict[str, str] | None = None  # {"type": "role"|"group", "value": name}: members only
    # A JSM internal note? From Cloud's jsdPublic or the sd.public.comment property;
    # None where neither was in the response (Data Center lists no jsdPublic).
    internal: bool | None = None

    @property
    def privacy(self) -> str | None:
        """Who may read it, beyond everyone who sees the issue: None for a public comment.
        An unknown internal flag counts as private: a sync must never widen an audience."""
        parts = []
        if self.visibility:
            parts.append(f"{self.visibility['type']}:{self.visibility['value']}")
        if self.internal is None:
            parts.append("unknown")
        elif self.internal:
            parts.append("internal")
        return "+".join(parts) or None

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> CommentData:
        author = raw.get("author") or {}
        properties = _properties(raw.get("properties"))
        return cls(
            id=str(raw["id"]),
            author_id=user_identity(author),
            author_name=str(author.get("displayName") or author.get("name") or "someone"),
            body=raw.get("body") or "",
            created=str(raw.get("created", "")),
            updated=str(raw.get("updated", raw.get("created", ""))),
            properties=properties,
            visibility=_visibility(raw.get("visibility")),
            internal=_internal(raw, properties),
        )


@dataclass(frozen=True)
class LinkData:
    id: str
    type: str
    other_key: str


@dataclass
class IssueData:
    id: str
    key: str
    project: str
    status: str
    summary: str
    description: Body | None
    priority: str | None
    labels: tuple[str, ...]
    issuetype: str
    created: str
    updated: str
    comments: list[CommentData] = field(default_factory=list)
    comment_total: int = 0
    links: list[LinkData] = field(default_factory=list)
    properties: dict[str, Any] = field(default_factory=dict)
    creator_id: str = ""  # who created it (ours: the dev issues we created)
    assignee: dict[str, str] | None = None  # see person_of: carried to the other site of a cross-site pair
    status_id: str = ""  # the status's id: a rule may name it (the same on a site in any language)

    @property
    def comments_complete(self) -> bool:
        return len(self.comments) >= self.comment_total

    def synced_fields(self) -> dict[str, Any]:  # keys: COPIED_FIELDS
        return {
            "summary": self.summary,
            "description": self.description,
            "priority": self.priority,
            "labels": sorted(self.labels),
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> IssueData:
        f = raw.get("fields") or {}
        comment_block = f.get("comment") or {}
        comments = [CommentData.from_json(c) for c in comment_block.get("comments") or []]
        links = []
        for link in f.get("issuelinks") or []:
            other = link.get("outwardIssue") or link.get("inwardIssue")
            if other and other.get("key"):
                link_type = str((link.get("type") or {}).get("name", ""))
                links.append(LinkData(str(link.get("id", "")), link_type, other["key"]))
        key = str(raw["key"])
        return cls(
            id=str(raw.get("id", "")),
            key=key,
            project=str((f.get("project") or {}).get("key") or key.rsplit("-", 1)[0]),
            status=str((f.get("status") or {}).get("name", "")),
            summary=str(f.get("summary") or ""),
            description=f.get("description"),
            priority=(f.get("priority") or {}).get("name"),
            labels=tuple(f.get("labels") or ()),
            issuetype=str((f.get("issuetype") or {}).get("name", "")),
            created=str(f.get("created", "")),
            updated=str(f.get("updated", "")),
            comments=comments,
            comment_total=int(comment_block.get("total", len(comments)) or 0),
            links=links,
            properties=_properties(raw.get("properties")),
            creator_id=user_identity(f.get("creator")),
            assignee=person_of(f.get("assignee")),
            status_id=str((f.get("status") or {}).get("id", "")),
        )


def _visibility(raw: Any) -> dict[str, str] | None:
    if not isinstance(raw, dict) or not raw.get("type"):
        return None
    return {"type": str(raw["type"]), "value": str(raw.get("value") or raw.get("identifier") or "")}


def _internal(raw: dict[str, Any], properties: dict[str, Any]) -> bool | None:
    if INTERNAL_PROPERTY in properties:
        return internal_marker(properties[INTERNAL_PROPERTY])
    if "jsdPublic" in raw:
        return raw["jsdPublic"] is False
    return None


def internal_marker(value: Any) -> bool:
    """The meaning of an ``sd.public.comment`` property value."""
    return isinstance(value, dict) and value.get("internal") is True


def _properties(raw: Any) -> dict[str, Any]:
    # Search returns {"key": value}; older shapes return [{"key":..., "value":...}].
    if isinstance(raw, dict):
        return dict(raw)
    if isinstance(raw, list):
        return {p["key"]: p.get("value") for p in raw if isinstance(p, dict) and "key" in p}
    return {}
