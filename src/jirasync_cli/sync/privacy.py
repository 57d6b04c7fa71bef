"""Learn which comments are JSM internal notes where the search did not say.

Cloud lists ``jsdPublic`` with every comment; Data Center does not, and only the comment's
``sd.public.comment`` property tells. Until it is known a comment counts as private (see
:attr:`CommentData.privacy`), so nothing is ever copied wider than it was written; this
step reads the property for just the comments a cycle may copy, and only in service
projects (other projects have no internal notes).
"""

from __future__ import annotations

from dataclasses import replace

from jirasync_cli.jira.errors import JiraApiError
from jirasync_cli.jira.models import CommentData, IssueData
from jirasync_cli.sync.records import Snapshot, content_hash
from jirasync_cli.sync.runtime import PairRuntime

SERVICE_PROJECT = "service_desk"


def resolve_internal_flags(rt: PairRuntime, issues: list[IssueData], snapshots: dict[str, Snapshot]) -> int:
    """Fill in ``internal`` on comments that lack it; returns the Jira requests made."""
    requests = 0
    for issue in issues:
        if all(c.internal is not None for c in issue.comments):
            continue
        service = rt.jira.project_type(issue.project) == SERVICE_PROJECT
        snap = snapshots.get(issue.key)
        resolved = []
        for comment in issue.comments:
            if comment.internal is None:
                known = _known_flag(comment, snap) if service else False
                if known is None and _may_be_copied(comment, snap, rt.jira.for_project(issue.project).me.id):
                    try:
                        known = rt.jira.comment_internal(issue.key, comment.id)
                        requests += 1
                    except JiraApiError:
                        known = None  # stays private this cycle; asked again next time
                comment = replace(comment, internal=known)
            resolved.append(comment)
        issue.comments = resolved
    return requests


def _known_flag(comment: CommentData, snap: Snapshot | None) -> bool | None:
    """The flag as last seen, if the comment is unchanged since (an edit may have changed it)."""
    if snap is None or snap.comments.get(comment.id) != content_hash(comment.body):
        return None
    was = snap.restricted.get(comment.id)
    if was is None:
        return False
    flags = was.split("+")
    return None if "unknown" in flags else "internal" in flags


def _may_be_copied(comment: CommentData, snap: Snapshot | None, sync_account: str) -> bool:
    """First sight of an issue is a baseline (nothing copied); our own comments never are."""
    return snap is not None and comment.id not in snap.own and comment.author_id != sync_account
