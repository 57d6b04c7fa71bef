"""Which rule, if any, handles a status change (pure)."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from jirasync_cli.jira.models import IssueData
from jirasync_cli.sync.mapping import Table, tables

if TYPE_CHECKING:
    from jirasync_cli.config import PairConfig, Rule
    from jirasync_cli.config.pair import Mappings


@lru_cache(maxsize=64)
def status_table(mappings: Mappings) -> Table:
    """The pair's statuses table (built once per config)."""
    return tables(mappings)["statuses"]


def status_on(config: PairConfig, status: str, side: str) -> str:
    """A status named in a rule as the project of ``side`` names it: through the statuses
    table (a dev site in another language has other names), else as written."""
    return status_table(config.mappings).lookup(status, to="dev" if side == "dev" else "user") or status


def conditions_hold(rule: Rule, issue: IssueData) -> bool:
    c = rule.conditions
    labels = {label.casefold() for label in issue.labels}
    if c.issue_types and issue.issuetype.casefold() not in {t.casefold() for t in c.issue_types}:
        return False
    if c.priorities and (issue.priority or "").casefold() not in {p.casefold() for p in c.priorities}:
        return False
    if c.labels and not labels & {label.casefold() for label in c.labels}:
        return False
    if c.exclude_labels and labels & {label.casefold() for label in c.exclude_labels}:
        return False
    return True


def match_rule(config: PairConfig, side: str, issue: IssueData, *, initial: bool) -> Rule | None:
    """The first enabled rule (by priority) for ``issue`` now in its status on ``side``."""
    # The issue's status by name or id (a table entry or rule may name a status by its id).
    status = {issue.status.casefold(), *([issue.status_id] if issue.status_id else [])}
    for rule in config.rules_in_order():
        if not rule.sync_direction.covers(side):
            continue
        # As the issue's project names it, or as the other project does (through the table).
        if rule.source_status != "*" and not status & {
            rule.source_status.strip().casefold(),
            status_on(config, rule.source_status, side).strip().casefold(),
        }:
            continue
        if initial and not rule.on_initial_sync:
            continue
        if conditions_hold(rule, issue):
            return rule
    return None


def render_template(template: str, values: dict[str, str]) -> str:
    """Fill ``${name}`` placeholders; unknown or missing ones stay as written."""
    import re

    return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", lambda m: values.get(m.group(1), m.group(0)), template)
