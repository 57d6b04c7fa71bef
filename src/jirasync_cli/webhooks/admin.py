"""Registering a pair's admin webhook through Jira's REST API, or saying how to by hand.

Both Jira Cloud and Data Center take admin webhooks at ``/rest/webhooks/1.0/webhook``
(Jira administrators only). Cloud's ``/rest/api/3/webhook`` is not an option: it serves
Connect and OAuth 2.0 apps only. One webhook per pair, named ``jirasync <pair>``, filtered to
the pair's two projects, its URL naming the pair (``/webhook?pair=<name>``) so events that
carry issue ids only (Data Center comments, issue links) still reach it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from jirasync_cli.webhooks.events import SUBSCRIBED

ADMIN_PATH = "/rest/webhooks/1.0/webhook"
FILTER_KEY = "issue-related-events-section"


def name_of(pair: str) -> str:
    return f"jirasync {pair}"


def receiver_url(public_url: str, pair: str) -> str:
    return f"{public_url.rstrip('/')}/webhook?pair={quote(pair, safe='')}"


def jql_filter(user_project: str, dev_project: str) -> str:
    """Events of the pair's projects (one, on each site of a cross-site pair: a site refuses
    a filter naming a project it lacks)."""
    return f"project in ({', '.join(dict.fromkeys((user_project, dev_project)))})"


def body(pair: str, user_project: str, dev_project: str, public_url: str, secret: str | None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": name_of(pair),
        "url": receiver_url(public_url, pair),
        "events": list(SUBSCRIBED),
        "filters": {FILTER_KEY: jql_filter(user_project, dev_project)},
        "excludeBody": False,
    }
    if secret:
        doc["secret"] = secret
    return doc


def webhook_id(hook: dict[str, Any]) -> str:
    """Jira names a webhook by its ``self`` link (``.../webhook/17``)."""
    return str(hook.get("self") or hook.get("id") or "").rstrip("/").rsplit("/", 1)[-1]


class Admin:
    """The admin webhook API of one site, over a connected :class:`~jirasync_cli.jira.client.JiraClient`."""

    def __init__(self, client: Any) -> None:
        from jirasync_cli.jira.client import _request

        self._request = _request
        self._session = client._session
        self.url = f"{client.base}{ADMIN_PATH}"
        self.is_cloud = client.is_cloud

    def _call(self, method: str, url: str, operation: str, **kwargs: Any) -> Any:
        return self._request(self._session, method, url, key=None, operation=operation, **kwargs)

    def registered(self) -> list[dict[str, Any]]:
        hooks = self._call("GET", self.url, "list webhooks")
        return [h for h in hooks or [] if isinstance(h, dict)]

    def register(self, doc: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """Create the pair's webhook, or update the one it has: ("created"|"updated", webhook)."""
        mine = [h for h in self.registered() if h.get("name") == doc["name"]]
        if mine:
            hook = self._call("PUT", f"{self.url}/{webhook_id(mine[0])}", "update webhook", json=doc)
            return "updated", hook or mine[0]
        return "created", self._call("POST", self.url, "register webhook", json=doc)

    def unregister(self, name: str) -> list[str]:
        removed = []
        for hook in self.registered():
            if hook.get("name") == name:
                self._call("DELETE", f"{self.url}/{webhook_id(hook)}", "delete webhook")
                removed.append(webhook_id(hook))
        return removed


def manual_steps(pair: str, user_project: str, dev_project: str, public_url: str, cloud: bool | None) -> list[str]:
    """What a Jira administrator enters by hand when the API is not open to the sync account."""
    where = {
        True: "Jira settings > System > WebHooks > Create a WebHook",
        False: "Administration > System > Advanced > WebHooks > Create a WebHook",
        None: "Cloud: Jira settings > System > WebHooks; Data Center: Administration > System > WebHooks",
    }[cloud]
    return [
        f"In {where}:",
        f"  Name:    {name_of(pair)}",
        f"  URL:     {receiver_url(public_url, pair)}",
        "  Secret:  the value of JIRASYNC_WEBHOOK_SECRET (Generate, then set the same in the supervisor's environment)",
        f"  JQL:     {jql_filter(user_project, dev_project)}",
        "  Events:  Issue: created, updated, deleted; Comment: created, updated, deleted; Issue link: created",
        "  Exclude body: off",
    ]
