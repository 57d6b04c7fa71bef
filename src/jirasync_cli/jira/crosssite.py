"""Two Jira sites behind the one client a cross-site pair's cycle works with.

Every call that names an issue or a project goes to that project's site (the two project
keys differ, so a key tells its site); what belongs to one site (its clock, bot account,
body format, search) is asked of :meth:`CrossSiteJira.for_project` or
:meth:`CrossSiteJira.for_key` by the callers where it matters. Issue links cannot cross
sites: partners are linked by a remote link on each issue, with a stable ``globalId`` so
posting it again updates it instead of adding a second one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from jirasync_cli.jira.client import Identity, JiraClient
from jirasync_cli.jira.models import IssueData

RELATIONSHIP = "synchronised with"


def remote_link_id(pair: str, user_key: str) -> str:
    """The ``globalId`` of both remote links of a pair: stable, so a repeat is an update."""
    return f"jirasync:{pair}:{user_key}"


class SummedRequests:
    """The request counters of both clients as one (reports count every request of a cycle)."""

    def __init__(self, *counters: Any) -> None:
        self._counters = counters

    def snapshot(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for counter in self._counters:
            for kind, n in counter.snapshot().items():
                out[kind] = out.get(kind, 0) + n
        return out


class CrossSiteJira:
    """The user project's client and the dev project's, routed by project."""

    def __init__(self, user: JiraClient, dev: JiraClient, *, user_project: str, dev_project: str, pair: str) -> None:
        self.user, self.dev = user, dev
        self.user_project, self.dev_project, self.pair = user_project, dev_project, pair
        self.requests = SummedRequests(user.requests, dev.requests)

    # -- which site ---------------------------------------------------------------------
    def for_project(self, project: str) -> JiraClient:
        return self.user if project == self.user_project else self.dev

    def for_key(self, key: str) -> JiraClient:
        return self.for_project(key.rsplit("-", 1)[0])

    # What creates and their recovery read: the dev site's (creates happen there).
    @property
    def me(self) -> Identity:
        return self.dev.me

    @property
    def is_cloud(self) -> bool:
        return self.dev.is_cloud

    @property
    def adf(self) -> bool:
        return self.dev.adf

    def server_now(self) -> datetime:
        return self.dev.server_now()

    def display_name(self, ident: str) -> str:
        return self.dev.display_name(ident)

    # -- routed by issue key ------------------------------------------------------------
    def get_issue(self, key: str) -> IssueData | None:
        return self.for_key(key).get_issue(key)

    def status_at_creation(self, key: str) -> str | None:
        return self.for_key(key).status_at_creation(key)

    def comments(self, key: str, *, with_properties: bool = False) -> Any:
        return self.for_key(key).comments(key, with_properties=with_properties)

    def find_comment_by_intent(self, key: str, intent_id: str, *, any_version: bool = False) -> str | None:
        return self.for_key(key).find_comment_by_intent(key, intent_id, any_version=any_version)

    def issue_property(self, key: str, prop: str) -> Any:
        return self.for_key(key).issue_property(key, prop)

    def set_issue_property(self, key: str, prop: str, value: Any) -> None:
        self.for_key(key).set_issue_property(key, prop, value)

    def edit_issue(self, key: str, fields: dict[str, Any]) -> None:
        self.for_key(key).edit_issue(key, fields)

    def add_comment(self, key: str, body: Any, intent_id: str, **kwargs: Any) -> str:
        return self.for_key(key).add_comment(key, body, intent_id, **kwargs)

    def edit_comment(self, key: str, comment_id: str, body: Any, **kwargs: Any) -> None:
        self.for_key(key).edit_comment(key, comment_id, body, **kwargs)

    def delete_comment(self, key: str, comment_id: str) -> bool:
        return self.for_key(key).delete_comment(key, comment_id)

    def comment_internal(self, key: str, comment_id: str) -> bool:
        return self.for_key(key).comment_internal(key, comment_id)

    def transition_to(self, key: str, target: str, **kwargs: Any) -> bool:
        return self.for_key(key).transition_to(key, target, **kwargs)

    def status_name(self, key: str, target: str) -> str:
        return self.for_key(key).status_name(key, target)

    def current_status(self, key: str) -> str | None:
        return self.for_key(key).current_status(key)

    def fill_source_properties(self, issues: Iterable[IssueData]) -> int:
        return self.dev.fill_source_properties(i for i in issues if i.project == self.dev_project)

    # -- routed by project ----------------------------------------------------------------
    def create_issue(self, project: str, issuetype: str, fields: dict[str, Any], **kwargs: Any) -> str:
        return self.for_project(project).create_issue(project, issuetype, fields, **kwargs)

    def create_screen(self, project: str, issuetype: str) -> Any:
        return self.for_project(project).create_screen(project, issuetype)

    def project_type(self, project: str) -> str:
        return self.for_project(project).project_type(project)

    def project_roles(self, project: str) -> frozenset[str]:
        return self.for_project(project).project_roles(project)

    # -- what jirasync check reads ----------------------------------------------------------
    def project_statuses(self, project: str) -> set[str] | None:
        return self.for_project(project).project_statuses(project)

    def sample_issues(self, project: str, limit: int = 25) -> list[tuple[str, str]]:
        return self.for_project(project).sample_issues(project, limit)

    def transition_options(self, key: str) -> list[dict[str, Any]]:
        return self.for_key(key).transition_options(key)

    def link_type_names(self) -> set[str]:
        return set()  # no issue link reaches another site: partners are linked by remote links

    # -- partners -------------------------------------------------------------------------
    def link(self, *, dev_key: str, user_key: str) -> None:
        """A remote link on each issue to the other, dev first (its create is the one recovery
        looks for); both carry the same ``globalId``, so a repeat updates them."""
        gid = remote_link_id(self.pair, user_key)
        self.dev.remote_link(
            dev_key, global_id=gid, url=f"{self.user.base}/browse/{user_key}", title=user_key, relationship=RELATIONSHIP
        )
        self.user.remote_link(
            user_key, global_id=gid, url=f"{self.dev.base}/browse/{dev_key}", title=dev_key, relationship=RELATIONSHIP
        )

    def linked(self, *, dev_key: str, user_key: str) -> bool:
        """Whether both remote links of the pair are in place."""
        gid = remote_link_id(self.pair, user_key)
        return self.dev.has_remote_link(dev_key, gid) and self.user.has_remote_link(user_key, gid)

    def close(self) -> None:
        self.user.close()
        self.dev.close()
