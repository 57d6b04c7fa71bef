"""In-memory state of the emulated Jira: plain dataclasses plus the indexes search needs.

All mutation happens while holding ``State.lock`` (one request = one critical section), so a
request either applies completely or not at all, and readers never see half a change.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from . import adf
from .workflow import Workflow

# A rich-text body, kept in the format it was written in: ("wiki", str) or ("adf", dict).
Body = tuple[str, Any]


def body_wiki(body: Body | None) -> str | None:
    if body is None:
        return None
    fmt, value = body
    return value if fmt == "wiki" else adf.adf_to_wiki(value)


def body_adf(body: Body | None) -> dict[str, Any] | None:
    if body is None:
        return None
    fmt, value = body
    return value if fmt == "adf" else adf.wiki_to_adf(value)


def body_text(body: Body | None) -> str:
    if body is None:
        return ""
    fmt, value = body
    return value if fmt == "wiki" else adf.adf_to_text(value)


@dataclass(slots=True)
class Project:
    id: int
    key: str
    name: str
    workflow: Workflow
    lead: str | None = None  # account handle
    description: str = ""
    project_type: str = "software"
    next_number: int = 1
    # {issue type id or "*": Screens}; None: the instance's default screens (see screens.py)
    screens: dict[str, Any] | None = None


@dataclass(slots=True)
class History:
    id: int
    author: str
    created: int
    items: list[dict[str, Any]]


@dataclass(slots=True)
class Issue:
    id: int
    key: str
    project_id: int
    summary: str
    description: Body | None
    issuetype_id: str
    priority_id: str
    labels: list[str]
    status: str  # status name within the project's workflow
    reporter: str | None
    creator: str
    assignee: str | None
    created: int
    updated: int
    statuscategorychangedate: int
    resolution_id: str | None = None
    resolutiondate: int | None = None
    comment_ids: list[int] = field(default_factory=list)
    link_ids: list[int] = field(default_factory=list)
    remote_link_ids: list[int] = field(default_factory=list)
    properties: dict[str, Any] = field(default_factory=dict)
    histories: list[History] = field(default_factory=list)
    old_keys: list[str] = field(default_factory=list)  # keys before a move: Jira still resolves them

    @property
    def number(self) -> int:
        return int(self.key.rsplit("-", 1)[1])


@dataclass(slots=True)
class Comment:
    id: int
    issue_id: int
    author: str
    update_author: str
    created: int
    updated: int
    body: Body
    visibility: dict[str, Any] | None = None
    properties: dict[str, Any] = field(default_factory=dict)  # sd.public.comment marks JSM internal notes


@dataclass(slots=True)
class IssueLink:
    id: int
    type_id: str
    inward_id: int  # the issue sent as "inwardIssue" when created: its side reads "outward" ("blocks")
    outward_id: int


@dataclass(slots=True)
class RemoteLink:
    id: int
    issue_id: int
    global_id: str | None
    object: dict[str, Any]
    application: dict[str, Any] | None = None
    relationship: str | None = None


class State:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        self.projects: dict[str, Project] = {}  # by key
        self.projects_by_id: dict[int, Project] = {}
        self.issues: dict[int, Issue] = {}  # by id, insertion-ordered
        self.issues_by_key: dict[str, Issue] = {}
        self.comments: dict[int, Comment] = {}
        self.links: dict[int, IssueLink] = {}
        self.remote_links: dict[int, RemoteLink] = {}
        # status name -> (id, category, description); statuses are global in Jira
        self.statuses: dict[str, tuple[str, str, str]] = {}
        self.counters = {
            "project": 10000,
            "issue": 10000,
            "comment": 10000,
            "link": 10000,
            "remote": 10000,
            "history": 10000,
            "status": 10002,
        }
        self.revision = 0  # bumped by every applied write; drives persistence and the search cache
        # (jql, zone, account, cloud) -> (revision, compiled query, sorted matches): pages 2..n
        # of a search, and idle polls of an unchanged instance, reuse the first page's work.
        self.search_cache: OrderedDict[tuple[Any, ...], tuple[int, Any, Any]] = OrderedDict()

    def next_id(self, kind: str) -> int:
        self.counters[kind] += 1
        return self.counters[kind]

    # -- lookups (callers hold the lock)
    def project(self, ident: str | int | None) -> Project | None:
        if ident is None:
            return None
        s = str(ident)
        if s.isascii() and s.isdigit():
            return self.projects_by_id.get(int(s))
        return self.projects.get(s.upper())

    def issue(self, id_or_key: str | int | None) -> Issue | None:
        if id_or_key is None:
            return None
        s = str(id_or_key).strip()
        if s.isascii() and s.isdigit():
            return self.issues.get(int(s))
        return self.issues_by_key.get(s.upper())

    def status_id(self, name: str) -> str:
        return self.statuses[name][0]

    def status_by_id_or_name(self, ident: str) -> str | None:
        """Canonical status name for a status id or (case-insensitive) name."""
        for name, (sid, _cat, _d) in self.statuses.items():
            if sid == ident or name.lower() == ident.lower():
                return name
        return None

    def category(self, status_name: str) -> str:
        return self.statuses[status_name][1]
