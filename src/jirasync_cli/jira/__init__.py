"""Jira access: a client over the ``jira`` package with pacing, retries and the search the sync needs."""

from jirasync_cli.jira.client import JiraClient, connect
from jirasync_cli.jira.errors import JiraApiError, JiraUnavailable
from jirasync_cli.jira.models import CommentData, IssueData, LinkData

__all__ = [
    "CommentData",
    "IssueData",
    "JiraApiError",
    "JiraClient",
    "JiraUnavailable",
    "LinkData",
    "connect",
]
