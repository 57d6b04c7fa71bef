"""Static Jira metadata: priorities, issue types, link types, resolutions, status categories
and the system fields. Ids follow a fresh Jira instance, so clients that hard-code ids by
mistake behave here as they would there."""

from __future__ import annotations

from typing import Any

STATUS_CATEGORIES: dict[str, dict[str, Any]] = {
    "new": {"id": 2, "key": "new", "colorName": "blue-gray", "name": "To Do"},
    "indeterminate": {"id": 4, "key": "indeterminate", "colorName": "yellow", "name": "In Progress"},
    "done": {"id": 3, "key": "done", "colorName": "green", "name": "Done"},
}

# Status ids a fresh instance uses; other names get 10002, 10003, ...
WELL_KNOWN_STATUS_IDS = {
    "Open": "1",
    "In Progress": "3",
    "Reopened": "4",
    "Resolved": "5",
    "Closed": "6",
    "To Do": "10000",
    "Done": "10001",
}

# (id, name, description, statusColor); rank 1 = highest.
PRIORITIES = [
    ("1", "Highest", "This problem will block progress.", "#d04437"),
    ("2", "High", "Serious problem that could block progress.", "#f15C75"),
    ("3", "Medium", "Has the potential to affect progress.", "#f79232"),
    ("4", "Low", "Minor problem or easily worked around.", "#707070"),
    ("5", "Lowest", "Trivial problem with little or no impact on progress.", "#999999"),
]
DEFAULT_PRIORITY = "3"
PRIORITY_RANK = {p[0]: i for i, p in enumerate(PRIORITIES)}

# (id, name, description, subtask, hierarchyLevel, avatarId)
ISSUE_TYPES = [
    ("10000", "Epic", "A big user story that needs to be broken down.", False, 1, 10307),
    ("10001", "Task", "A small, distinct piece of work.", False, 0, 10318),
    ("10002", "Sub-task", "A small piece of work that's part of a larger task.", True, -1, 10316),
    ("10003", "Story", "Functionality or a feature expressed as a user goal.", False, 0, 10315),
    ("10004", "Bug", "A problem or error.", False, 0, 10303),
]

# (id, name, inward, outward)
LINK_TYPES = [
    ("10000", "Blocks", "is blocked by", "blocks"),
    ("10001", "Cloners", "is cloned by", "clones"),
    ("10002", "Duplicate", "is duplicated by", "duplicates"),
    ("10003", "Relates", "relates to", "relates to"),
]

RESOLUTIONS_CLOUD = [
    ("10000", "Done", "Work has been completed on this issue."),
    ("10001", "Won't Do", "This issue won't be actioned."),
    ("10002", "Duplicate", "The problem is a duplicate of an existing issue."),
    ("10003", "Cannot Reproduce", "All attempts at reproducing this issue failed."),
]
RESOLUTIONS_SERVER = [
    ("1", "Fixed", "A fix for this issue is checked into the tree and tested."),
    ("2", "Won't Fix", "The problem described is an issue which will never be fixed."),
    ("3", "Duplicate", "The problem is a duplicate of an existing issue."),
    ("4", "Incomplete", "The problem is not completely described."),
    ("5", "Cannot Reproduce", "All attempts at reproducing this issue failed."),
    ("10000", "Done", "Work has been completed on this issue."),
]
DEFAULT_RESOLUTION = "10000"


def _f(
    fid: str,
    name: str,
    schema: dict[str, str] | None,
    *,
    nav: bool = True,
    order: bool = True,
    search: bool = True,
    clauses: list[str] | None = None,
    cloud_only: bool = False,
) -> dict[str, Any]:
    return {
        "id": fid,
        "name": name,
        "schema": schema,
        "navigable": nav,
        "orderable": order,
        "searchable": search,
        "clauseNames": clauses if clauses is not None else [fid],
        "cloud_only": cloud_only,
    }


def _s(typ: str, system: str, items: str | None = None) -> dict[str, str]:
    d = {"type": typ, "system": system}
    if items:
        d["items"] = items
    return d


# The system fields the emulator models. "navigable" decides membership of *navigable.
FIELDS = [
    _f("summary", "Summary", _s("string", "summary")),
    _f("description", "Description", _s("string", "description")),
    _f("status", "Status", _s("status", "status"), order=False),
    _f("priority", "Priority", _s("priority", "priority")),
    _f("labels", "Labels", _s("array", "labels", "string")),
    _f("issuetype", "Issue Type", _s("issuetype", "issuetype"), clauses=["issuetype", "type"]),
    _f("project", "Project", _s("project", "project"), order=False),
    _f("created", "Created", _s("datetime", "created"), order=False, clauses=["created", "createdDate"]),
    _f("updated", "Updated", _s("datetime", "updated"), order=False, clauses=["updated", "updatedDate"]),
    _f("comment", "Comment", _s("comments-page", "comment"), nav=False),
    _f("issuelinks", "Linked Issues", _s("array", "issuelinks", "issuelinks"), clauses=["issueLink"]),
    _f("reporter", "Reporter", _s("user", "reporter")),
    _f("creator", "Creator", _s("user", "creator"), order=False),
    _f("assignee", "Assignee", _s("user", "assignee")),
    _f("resolution", "Resolution", _s("resolution", "resolution")),
    _f(
        "resolutiondate",
        "Resolved",
        _s("datetime", "resolutiondate"),
        order=False,
        clauses=["resolutiondate", "resolved"],
    ),
    _f(
        "statuscategorychangedate",
        "Status Category Changed",
        _s("datetime", "statuscategorychangedate"),
        order=False,
        clauses=["statusCategoryChangedDate"],
        cloud_only=True,
    ),
    _f("lastViewed", "Last Viewed", _s("datetime", "lastViewed"), order=False, clauses=["lastViewed"]),
    _f("issuekey", "Key", None, order=False, clauses=["id", "issue", "issuekey", "key"]),
    _f("thumbnail", "Images", None, order=False, search=False, clauses=[]),
]

# Fields an issue JSON carries (issuekey/thumbnail only appear in the field list).
ISSUE_FIELD_IDS = [f["id"] for f in FIELDS if f["schema"] is not None]
NAVIGABLE = {f["id"] for f in FIELDS if f["navigable"]}
FIELD_NAMES = {f["id"]: f["name"] for f in FIELDS}
FIELD_SCHEMAS = {f["id"]: f["schema"] for f in FIELDS if f["schema"]}
