"""``jirasync check <pair>``: what the Jira site allows, before the first cycle.

Each check is an independent function ``(Site) -> list[Finding]`` in :data:`CHECKS`; add one
to check something more. Checks read only (projects, create screen, link types, workflow
statuses) and never print the token.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from jirasync_cli.jira.errors import JiraApiError
from jirasync_cli.jira.models import COPIED_FIELDS
from jirasync_cli.jira.transitions import transition_plan
from jirasync_cli.sync.rules import status_on

if TYPE_CHECKING:
    from jirasync_cli.config import PairConfig
    from jirasync_cli.jira.client import JiraClient
    from jirasync_cli.jira.crosssite import CrossSiteJira


@dataclass(frozen=True)
class Finding:
    pair: str
    project: str | None
    subject: str  # the field, status, link type or issue type concerned
    problem: str
    fix: str

    def line(self) -> str:
        where = f" {self.project}" if self.project else ""
        return f"{self.pair}{where}: {self.subject}: {self.problem}; {self.fix}"


@dataclass
class Site:
    """What the checks share: the config, the client and answers read once."""

    config: PairConfig
    jira: JiraClient | CrossSiteJira  # a cross-site pair's two sites, routed by project
    _statuses: dict[str, set[str] | None] = field(default_factory=dict)

    def project_exists(self, key: str) -> bool:
        return self.statuses(key) is not None

    def statuses(self, key: str) -> set[str] | None:
        """Status names of ``key``'s workflows (any issue type), None if the project is unknown."""
        if key not in self._statuses:
            self._statuses[key] = self.jira.project_statuses(key)
        return self._statuses[key]


Check = Callable[[Site], list[Finding]]


def check_projects(site: Site) -> list[Finding]:
    cfg = site.config
    return [
        Finding(
            cfg.name,
            key,
            "project",
            "does not exist or the sync account cannot see it",
            f"fix {role} in the config or grant the account Browse projects",
        )
        for role, key in (("userProjectKey", cfg.user_project_key), ("devProjectKey", cfg.dev_project_key))
        if not site.project_exists(key)
    ]


def _create_rules(cfg: PairConfig) -> list[Any]:
    return [r for r in cfg.rules if getattr(r, "enabled", True) and r.actions.create_issue]


def check_create_screen(site: Site) -> list[Finding]:
    cfg = site.config
    if not _create_rules(cfg) or not site.project_exists(cfg.dev_project_key):
        return []
    try:
        screen = site.jira.create_screen(cfg.dev_project_key, cfg.dev_issue_type)
    except JiraApiError as exc:
        return [
            Finding(
                cfg.name,
                cfg.dev_project_key,
                f"issue type {cfg.dev_issue_type}",
                exc.jira_message,
                "set devIssueType to an issue type of the dev project",
            )
        ]
    if screen.fields is None:
        return []  # the site cannot tell; the first create will
    out = []
    wanted = list(COPIED_FIELDS)
    if any(r.actions.add_cross_link for r in _create_rules(cfg)):
        wanted.append("issuelinks")
    for name in wanted:
        if screen.allows(name):
            continue
        if name == "summary":
            out.append(
                Finding(
                    cfg.name,
                    cfg.dev_project_key,
                    "summary",
                    "is not on the create screen: no issue can be created",
                    f"add Summary to the create screen of {cfg.dev_issue_type}",
                )
            )
        elif name == "issuelinks":
            out.append(
                Finding(
                    cfg.name,
                    cfg.dev_project_key,
                    "issuelinks",
                    "Linked Issues is not on the create screen: each dev issue is linked in a second request",
                    "add Linked Issues to the create screen to link in the same request (optional)",
                )
            )
        else:
            out.append(
                Finding(
                    cfg.name,
                    cfg.dev_project_key,
                    name,
                    "is not on the create screen: dev issues are created without it",
                    f"add it to the create screen of {cfg.dev_issue_type}",
                )
            )
    copied = set(COPIED_FIELDS) | {"project", "issuetype", "reporter"}
    for name in sorted(screen.required - copied):
        out.append(
            Finding(
                cfg.name,
                cfg.dev_project_key,
                name,
                "is required on create and jirasync does not fill it: every create would fail",
                "give it a default value or make it optional",
            )
        )
    return out


def check_link_type(site: Site) -> list[Finding]:
    cfg = site.config
    if not any(r.actions.add_cross_link for r in cfg.rules) or cfg.cross_site:  # across sites: remote links
        return []
    names = site.jira.link_type_names()
    if cfg.jira.link_type in names:
        return []
    return [
        Finding(
            cfg.name,
            None,
            f"link type {cfg.jira.link_type}",
            "does not exist on the site",
            f"set jira.linkType to one of: {', '.join(sorted(names)) or 'none'}",
        )
    ]


def check_rule_statuses(site: Site) -> list[Finding]:
    cfg = site.config
    projects = {"user": cfg.user_project_key, "dev": cfg.dev_project_key}
    out = []
    for rule in cfg.rules:
        direction = str(getattr(rule.sync_direction, "value", rule.sync_direction))
        sources = {"user_to_dev": ["user"], "dev_to_user": ["dev"], "both": ["user", "dev"]}[direction]
        wanted = [("sourceStatus", rule.source_status, side) for side in sources]
        if rule.target_status:
            wanted += [("targetStatus", rule.target_status, "dev" if side == "user" else "user") for side in sources]
        for key_name, status, side in wanted:
            project = projects[side]
            known = site.statuses(project)
            names = {s.casefold() for s in known} if known is not None else set()
            if status == "*" or known is None or {status.casefold(), status_on(cfg, status, side).casefold()} & names:
                continue
            out.append(
                Finding(
                    cfg.name,
                    project,
                    f"status {status!r}",
                    f"rule {rule.id} {key_name} is no status of {project}'s workflows",
                    f"use one of: {', '.join(sorted(known))}",
                )
            )
    return out


def check_transition_screens(site: Site) -> list[Finding]:
    """Transitions into a rule's targetStatus whose screen asks for what jirasync cannot
    give (a required field, a resolution the screen does not offer). Workflows are read
    through a few recent issues of the partner project, one per status (reading workflow
    schemes needs admin rights): a status no issue is in right now goes unchecked."""
    cfg = site.config
    out: list[Finding] = []
    by_project: dict[str, list[Any]] = {}
    for rule in cfg.rules:
        if not getattr(rule, "enabled", True) or not (rule.actions.sync_status and rule.target_status):
            continue
        direction = str(getattr(rule.sync_direction, "value", rule.sync_direction))
        targets = {
            "user_to_dev": [cfg.dev_project_key],
            "dev_to_user": [cfg.user_project_key],
            "both": [cfg.user_project_key, cfg.dev_project_key],
        }[direction]
        for project in targets:
            by_project.setdefault(project, []).append(rule)
    for project, rules in by_project.items():
        if not site.project_exists(project):
            continue
        seen: set[tuple[str, str]] = set()
        one_per_status = {status: key for key, status in reversed(site.jira.sample_issues(project))}
        for status, key in sorted(one_per_status.items()):
            options = site.jira.transition_options(key)
            for rule in rules:
                for option in options:
                    to = str((option.get("to") or {}).get("name", ""))
                    if to.casefold() != rule.target_status.casefold() or (rule.id, to) in seen:
                        continue
                    plan = transition_plan(
                        option,
                        key=key,
                        target=to,
                        resolution=getattr(rule, "resolution", None),
                        rule=f"the resolution of rule {rule.id!r}",
                    )
                    if plan.blocked:
                        seen.add((rule.id, to))
                        out.append(
                            Finding(
                                cfg.name,
                                project,
                                f"transition to {to!r}",
                                f"rule {rule.id}: {plan.blocked.split('; ')[0]} (seen from {status!r})",
                                plan.blocked.split("; ", 1)[-1],
                            )
                        )
    return out


CHECKS: list[Check] = [
    check_projects,
    check_create_screen,
    check_link_type,
    check_rule_statuses,
    check_transition_screens,
]


def run_checks(
    config: PairConfig, jira: JiraClient | CrossSiteJira, checks: list[Check] | None = None
) -> list[Finding]:
    site = Site(config, jira)
    return [finding for check in (checks or CHECKS) for finding in check(site)]


def report(config: PairConfig, findings: list[Finding]) -> dict[str, Any]:
    return {"pair": config.name, "ok": not findings, "findings": [asdict(f) | {"line": f.line()} for f in findings]}
