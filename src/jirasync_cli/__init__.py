"""jirasync: keep pairs of Jira projects in sync."""

__version__ = "0.1.0"
