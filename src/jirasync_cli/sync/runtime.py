"""What a cycle works with: the pair's config, its Jira client, its store and its lease."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jirasync_cli.config import PairConfig
    from jirasync_cli.jira.client import JiraClient
    from jirasync_cli.jira.crosssite import CrossSiteJira
    from jirasync_cli.store import Lease, PairStore


@dataclass
class PairRuntime:
    config: PairConfig
    jira: JiraClient | CrossSiteJira  # two sites behind one interface on a cross-site pair
    store: PairStore
    lease: Lease | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    # (project, issue type) -> status a new issue starts in, learnt once per process
    initial_status: dict[tuple[str, str], str] = field(default_factory=dict)
    learn_lock: threading.Lock = field(default_factory=threading.Lock)
    # (project, issue type) -> fields its edit screen refused, learnt once per process
    edit_refused: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    create_settle_seconds: float = 120.0

    @property
    def overlap_seconds(self) -> float:
        """How far each incremental search reaches back before the watermark."""
        return 60.0 * float(self.config.search_overlap_minutes)

    def client(self, side: str) -> JiraClient:
        """The client of the site of ``side`` ("user" or "dev")."""
        cfg = self.config
        return self.jira.for_project(cfg.user_project_key if side == "user" else cfg.dev_project_key)

    def check_lease(self) -> None:
        if self.lease is not None:
            self.lease.check()

    def template_values(self, **values: Any) -> dict[str, str]:
        return {"pair": self.config.name, **{k: str(v) for k, v in values.items() if v is not None}}
