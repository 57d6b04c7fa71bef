"""Which pairs a delivery concerns: by the project keys it names (a pair's user or dev
project), else by issue ids seen before with a project, else by the ``pair`` the webhook's
URL names. Pairs without webhooks enabled never listen.

Routing may be generous, never wrong in effect: a pair woken for nothing costs one search.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

from jirasync_cli.webhooks.events import Delivery

KNOWN_ISSUES = 20_000  # issue id -> pairs remembered, for deliveries that carry ids only


@dataclass(frozen=True)
class Listener:
    name: str
    site: str  # the pair's Jira base URL
    projects: tuple[str, ...]  # user and dev project keys
    sites: tuple[str, ...] = ()  # a cross-site pair's two base URLs


class Routes:
    """Immutable table of listening pairs plus a bounded memory of issue ids."""

    def __init__(
        self, listeners: Iterable[Listener] = (), known: int = KNOWN_ISSUES, carry: Routes | None = None
    ) -> None:
        self.listeners = {listener.name: listener for listener in listeners}
        self.by_project: dict[str, list[Listener]] = {}
        for listener in self.listeners.values():
            for key in listener.projects:
                self.by_project.setdefault(key.upper(), []).append(listener)
        self._issues: OrderedDict[str, frozenset[str]] = OrderedDict()
        self._lock = threading.Lock()  # routed on the HTTP thread, rebuilt (carried over) on the supervisor's
        self._known = known
        if carry is not None:  # a reload keeps what earlier deliveries taught (pairs gone are filtered at use)
            with carry._lock:
                self._issues.update(carry._issues)

    def route(self, delivery: Delivery, hints: Iterable[str] = ()) -> frozenset[str]:
        pairs = self._by_projects(delivery)
        if pairs:
            for issue_id in delivery.issue_ids:  # a later comment or link event may name only the id
                self._remember(issue_id, pairs)
            return pairs
        found: set[str] = set()
        with self._lock:
            for issue_id in delivery.issue_ids:
                found |= self._issues.get(issue_id, frozenset())
        if found:
            return frozenset(p for p in found if p in self.listeners)
        return frozenset(h for h in hints if h in self.listeners)

    def _by_projects(self, delivery: Delivery) -> frozenset[str]:
        candidates = [c for key in delivery.projects for c in self.by_project.get(key, ())]
        if not candidates:
            return frozenset()
        # The same project key on two sites: keep the pairs whose site the `self` links name.
        same_site = [
            c
            for c in candidates
            if any(url.startswith(site + "/") for site in (c.site, *c.sites) for url in delivery.urls)
        ]
        return frozenset(c.name for c in (same_site or candidates))

    def _remember(self, issue_id: str, pairs: frozenset[str]) -> None:
        with self._lock:
            self._issues[issue_id] = pairs
            self._issues.move_to_end(issue_id)
            while len(self._issues) > self._known:
                self._issues.popitem(last=False)
