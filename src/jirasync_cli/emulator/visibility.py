"""Who may read a comment: Jira's comment visibility and Service Management's internal notes.

A comment restricted to a group is visible to that group's members; one restricted to a
project role to the members of that role in the issue's project (roles are granted to
groups here, as most sites do). In a service project, a comment whose ``sd.public.comment``
property is ``{"internal": true}`` is an internal note: agents see it, customers do not,
and Cloud renders it with ``jsdPublic: false``. Customers (accounts in no staff group) see
only public, unrestricted comments. The sync's bot is a member of everything, as the
admin accounts such tools run as usually are: it sees restricted comments and must not
leak them.
"""

from __future__ import annotations

from typing import Any

from .accounts import Account
from .errors import ApiError

JSM_PROPERTY = "sd.public.comment"
SERVICE_PROJECT = "service_desk"

# Project roles as granted on a typical site: role -> groups whose members hold it.
ROLES: dict[str, frozenset[str]] = {
    "Administrators": frozenset({"jira-administrators"}),
    "Developers": frozenset({"developers"}),
    "Service Desk Team": frozenset({"service-desk-team"}),
    "Users": frozenset({"jira-software-users", "jira-servicedesk-users"}),
}
GROUPS = frozenset(
    {
        "jira-administrators",
        "developers",
        "service-desk-team",
        "jira-software-users",
        "jira-servicedesk-users",
        "customers",
    }
)
# Groups of the default accounts, by their demo role.
GROUPS_BY_ROLE: dict[str, tuple[str, ...]] = {
    "bot": ("jira-administrators", "developers", "service-desk-team", "jira-software-users", "jira-servicedesk-users"),
    "support agent": ("service-desk-team", "jira-servicedesk-users"),
    "developer": ("developers", "jira-software-users"),
    "customer": ("customers",),
}
STAFF_GROUPS = GROUPS - {"customers"}


def is_internal(properties: dict[str, Any]) -> bool:
    marker = properties.get(JSM_PROPERTY)
    return isinstance(marker, dict) and marker.get("internal") is True


def is_staff(account: Account) -> bool:
    return bool(STAFF_GROUPS.intersection(account.groups))


def has_role(account: Account, role: str) -> bool:
    return bool(ROLES.get(role, frozenset()).intersection(account.groups))


def can_see(
    account: Account | None, visibility: dict[str, Any] | None, properties: dict[str, Any], project_type: str
) -> bool:
    if account is None:
        return True  # the Python API inspects everything
    if not is_staff(account):
        # Customers: only public comments, and never restricted ones.
        return visibility is None and not (project_type == SERVICE_PROJECT and is_internal(properties))
    if visibility is None:
        return True
    value = str(visibility.get("value") or visibility.get("identifier") or "")
    if visibility.get("type") == "group":
        return value in account.groups
    return has_role(account, value)


def check_visibility(raw: Any, actor: Account) -> dict[str, Any] | None:
    """Validate a ``visibility`` of a comment written by ``actor``, as Jira does."""
    if raw is None:
        return None
    if not isinstance(raw, dict) or raw.get("type") not in ("group", "role"):
        raise ApiError(400, [], {"commentLevel": "You are currently not a member of the project role or group."})
    value = str(raw.get("value") or raw.get("identifier") or "")
    if raw["type"] == "group":
        if value not in GROUPS:
            raise ApiError(400, [], {"commentLevel": f"Group: {value} does not exist."})
        member = value in actor.groups
    else:
        if value not in ROLES:
            raise ApiError(400, [], {"commentLevel": f"Role: {value} does not exist."})
        member = has_role(actor, value)
    if not member:
        raise ApiError(400, [], {"commentLevel": "You are currently not a member of the project role or group."})
    out = {"type": raw["type"], "value": value}
    if raw["type"] == "group":
        out["identifier"] = value
    return out
