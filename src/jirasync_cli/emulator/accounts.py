"""Accounts that can authenticate against the emulator, and how Jira renders a user.

Cloud identifies people by ``accountId``; Server/DC by ``name`` (login) and ``key`` (since DC 8
an opaque ``JIRAUSER10xxx``, deliberately different from the name so clients can't mix them up).
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Account:
    name: str  # login handle, also how the Python API refers to the account ("alice")
    display_name: str
    email: str
    token: str
    account_id: str = ""
    time_zone: str | None = None  # None: the emulator's zone
    account_type: str = "atlassian"
    key: str = ""
    active: bool = True
    role: str = ""  # free text for demos: "bot", "support agent", "customer", "developer"
    groups: tuple[str, ...] = ()  # empty: the default groups of ``role`` (see visibility.py)
    # Who sees ``emailAddress``. None: as the site does by default. Cloud hides it from other
    # accounts unless the person's profile makes it public (most don't); Data Center shows it
    # (False here: a site with ``jira.option.emailvisible`` set to hide). One always sees one's own.
    email_visible: bool | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from .visibility import GROUPS_BY_ROLE

        self.groups = tuple(self.groups) or GROUPS_BY_ROLE.get(self.role, ("jira-software-users",))
        if not self.account_id:
            self.account_id = "557058:" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"jira-emulator/{self.name}"))

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "display_name": self.display_name,
            "email": self.email,
            "token": self.token,
            "account_id": self.account_id,
            "time_zone": self.time_zone,
            "account_type": self.account_type,
            "key": self.key,
            "active": self.active,
            "role": self.role,
            "groups": list(self.groups),
            "email_visible": self.email_visible,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Account:
        known = {k: d[k] for k in cls.__dataclass_fields__ if k in d and k != "extra"}
        return cls(**known)


BOT = "jirasync-bot"


def default_accounts() -> list[Account]:
    return [
        Account(BOT, "jirasync bot", "bot@example.com", "emulator-token", account_id="557058:jirasync-bot", role="bot"),
        Account("alice", "Alice Moreau", "alice@example.com", "alice-token", role="support agent"),
        Account("bob", "Bob Lindqvist", "bob@example.com", "bob-token", role="customer"),
        Account("dan", "Dan Okafor", "dan@example.com", "dan-token", role="developer"),
        Account("erin", "Erin Castillo", "erin@example.com", "erin-token", role="developer"),
    ]


class AccountBook:
    """Lookup by handle, accountId, server key, email and token; authenticates requests."""

    def __init__(self, accounts: list[Account]) -> None:
        self.accounts: list[Account] = []
        self._by: dict[str, Account] = {}
        self._tokens: dict[str, Account] = {}
        for i, acc in enumerate(accounts):
            if not acc.key:
                acc.key = f"JIRAUSER{10000 + i}"
            self.accounts.append(acc)
            for ident in (acc.name, acc.account_id, acc.key, acc.email.lower()):
                self._by.setdefault(ident, acc)
            self._tokens[acc.token] = acc

    def get(self, ident: str | None) -> Account | None:
        if ident is None:
            return None
        return self._by.get(ident) or self._by.get(str(ident).lower())

    def require(self, ident: str) -> Account:
        acc = self.get(ident)
        if acc is None:
            raise KeyError(f"unknown account {ident!r}")
        return acc

    def authenticate(self, authorization: str | None) -> Account | None:
        """Basic (email or login + API token/password) or Bearer (token as PAT)."""
        if not authorization:
            return None
        scheme, _, cred = authorization.partition(" ")
        scheme = scheme.lower()
        if scheme == "bearer":
            acc = self._tokens.get(cred.strip())
        elif scheme == "basic":
            try:
                user, _, secret = base64.b64decode(cred.strip()).decode("utf-8").partition(":")
            except (ValueError, UnicodeDecodeError):
                return None
            acc = self._tokens.get(secret)
            if acc is not None and user not in (acc.email, acc.name) and user.lower() != acc.email.lower():
                acc = None
        else:
            acc = None
        return acc if acc is not None and acc.active else None


def avatar_urls(base: str, acc: Account) -> dict[str, Any]:
    u = f"{base}/secure/useravatar?ownerId={acc.key}"
    return {"48x48": u, "24x24": u + "&size=small", "16x16": u + "&size=xsmall", "32x32": u + "&size=medium"}


def email_shown(acc: Account, *, cloud: bool, viewer: Account | None) -> bool:
    """Whether ``viewer`` reads ``acc``'s e-mail address (see :attr:`Account.email_visible`)."""
    if viewer is not None and viewer.name == acc.name:
        return True
    return acc.email_visible is True if cloud else acc.email_visible is not False


def user_json(
    acc: Account, *, base: str, cloud: bool, api: str, default_tz: str, show_email: bool = True
) -> dict[str, Any]:
    """UserDetails as embedded in issues/comments (reporter, author, ...); without
    ``emailAddress`` where the viewer may not see it, as Jira leaves it out."""
    email = {"emailAddress": acc.email} if show_email else {}
    if cloud:
        return {
            "self": f"{base}/rest/api/{api}/user?accountId={acc.account_id}",
            "accountId": acc.account_id,
            **email,
            "avatarUrls": avatar_urls(base, acc),
            "displayName": acc.display_name,
            "active": acc.active,
            "timeZone": acc.time_zone or default_tz,
            "accountType": acc.account_type,
        }
    return {
        "self": f"{base}/rest/api/2/user?username={acc.name}",
        "name": acc.name,
        "key": acc.key,
        **email,
        "avatarUrls": avatar_urls(base, acc),
        "displayName": acc.display_name,
        "active": acc.active,
        "timeZone": acc.time_zone or default_tz,
    }
