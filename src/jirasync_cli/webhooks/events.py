"""What a Jira webhook delivery names, for routing only (never for writes).

Shapes, Cloud admin webhooks and Data Center alike (``webhookEvent`` names the event):

* ``jira:issue_created`` / ``jira:issue_updated`` / ``jira:issue_deleted``: ``issue`` with
  ``id``, ``key``, ``self`` and ``fields.project.key`` (a comment also raises
  ``jira:issue_updated`` with ``issue_event_type_name`` ``issue_commented``);
* ``comment_created`` / ``comment_updated`` / ``comment_deleted``: ``comment`` (its ``self`` is
  ``.../rest/api/2/issue/<issue id>/comment/<id>``); Cloud adds a reduced ``issue`` with
  ``fields.project``, Data Center sends the comment alone;
* ``issuelink_created`` / ``issuelink_deleted``: ``issueLink`` with ``sourceIssueId`` and
  ``destinationIssueId``, ids only.

A delivery that names no project can still be routed by its issue ids (see
:class:`~jirasync_cli.webhooks.routing.Routes`) or by the ``pair`` the webhook's URL names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

ISSUE_EVENTS = ("jira:issue_created", "jira:issue_updated", "jira:issue_deleted")
COMMENT_EVENTS = ("comment_created", "comment_updated", "comment_deleted")
LINK_EVENTS = ("issuelink_created", "issuelink_deleted")
# What `webhooks register` subscribes to; the receiver routes any event naming an issue.
SUBSCRIBED = ("jira:issue_created", "jira:issue_updated", "jira:issue_deleted", *COMMENT_EVENTS, "issuelink_created")

_KEY = re.compile(r"^([A-Z][A-Z0-9_]{0,49})-\d+$")
_ISSUE_IN_URL = re.compile(r"/issue/(\d+)(?:/|$)")


@dataclass(frozen=True)
class Delivery:
    event: str
    projects: frozenset[str] = frozenset()
    issue_ids: frozenset[str] = frozenset()
    urls: tuple[str, ...] = field(default=())  # `self` links, to tell two sites with the same keys apart


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def parse(payload: Any) -> Delivery | None:
    """The routing facts of a decoded body; None if it is not a Jira webhook at all."""
    if not isinstance(payload, dict) or not _text(payload.get("webhookEvent")):
        return None
    projects: set[str] = set()
    ids: set[str] = set()
    urls: list[str] = []
    issue = payload.get("issue")
    if isinstance(issue, dict):
        fields = _object(issue.get("fields"))
        project = _object(fields.get("project"))
        if _text(project.get("key")):
            projects.add(project["key"].upper())
        match = _KEY.match(str(issue.get("key") or "").upper())
        if match:
            projects.add(match.group(1))
        if str(issue.get("id") or "").isdigit():
            ids.add(str(issue["id"]))
        if _text(issue.get("self")):
            urls.append(issue["self"])
    comment = payload.get("comment")
    if isinstance(comment, dict) and _text(comment.get("self")):
        urls.append(comment["self"])
        match = _ISSUE_IN_URL.search(comment["self"])
        if match:
            ids.add(match.group(1))
    link = payload.get("issueLink")
    if isinstance(link, dict):
        for name in ("sourceIssueId", "destinationIssueId"):
            if str(link.get(name) or "").isdigit():
                ids.add(str(link[name]))
    return Delivery(str(payload["webhookEvent"])[:100], frozenset(projects), frozenset(ids), tuple(urls))


def _object(value: Any) -> dict[str, Any]:
    """A JSON object of the payload, or an empty one where the payload has something else."""
    return value if isinstance(value, dict) else {}
