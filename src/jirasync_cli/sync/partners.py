"""When a partner issue leaves the pair: deleted by a person, or moved to another project.

Such a pair is settled once, with an audit entry, instead of failing every cycle: the
mapping is forgotten, and a rule creates a new dev issue only when it fires again.
A user issue moved out of the user project takes its key with it (Jira keeps resolving
the old key, so writes would silently land in a project outside the pair): its dev
issue is told once, and the dev issue's source property is marked so it is not adopted
back into the pair.
"""

from __future__ import annotations

import logging
from typing import Any

from jirasync_cli.jira import adf
from jirasync_cli.jira.models import SOURCE_PROPERTY
from jirasync_cli.store.pair import WriteBatch
from jirasync_cli.sync.runtime import PairRuntime

log = logging.getLogger(__name__)


class PartnerGone(Exception):
    """The unit's pair was settled: nothing more to do for it this cycle."""

    def __init__(self, reason: str, detail: dict[str, Any]) -> None:
        super().__init__(reason)
        self.detail = detail


def dev_issue_deleted(rt: PairRuntime, user_key: str, dev_key: str) -> PartnerGone | None:
    """After a 404 from the dev issue: if it is really gone, forget it."""
    if rt.jira.get_issue(dev_key) is not None:
        return None
    rt.store.forget_mapping(user_key, dev_key)
    log.warning(
        "a dev issue was deleted; its user issue is no longer paired",
        extra={"pair": rt.config.name, "user_key": user_key, "dev_key": dev_key},
    )
    return PartnerGone(
        f"{dev_key} was deleted in Jira: {user_key} is no longer paired", {"dev_key": dev_key, "gone": "deleted"}
    )


def check_user_issue(
    rt: PairRuntime, user_key: str, dev_key: str, intent_id: str, batch: WriteBatch
) -> PartnerGone | None:
    """Whether ``user_key`` is still an issue of the user project; settles the pair if not."""
    issue = rt.jira.get_issue(user_key)
    if issue is not None and issue.key == user_key and issue.project == rt.config.user_project_key:
        batch.unlinked(user_key)  # a person removed the link: nothing else to do
        return None
    where = f"moved to {issue.key}" if issue is not None else "deleted"
    note = (
        f"{user_key} was {where} and has left the jirasync pair {rt.config.name}: this issue is no longer "
        "synchronised with it."
    )
    if rt.jira.find_comment_by_intent(dev_key, intent_id) is None:
        rt.jira.add_comment(dev_key, adf.render(note, rt.jira.adf), intent_id)
    rt.jira.set_issue_property(dev_key, SOURCE_PROPERTY, {"pair": rt.config.name, "userKey": user_key, "left": where})
    rt.store.forget_mapping(user_key, dev_key)
    log.warning("a user issue left the pair", extra={"pair": rt.config.name, "user_key": user_key, "where": where})
    return PartnerGone(
        f"{user_key} was {where}: the pair with {dev_key} is settled",
        {
            "dev_key": dev_key,
            "gone": "moved" if issue is not None else "deleted",
            **({"new_key": issue.key} if issue is not None else {}),
        },
    )
