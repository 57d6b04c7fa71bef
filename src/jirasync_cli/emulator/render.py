"""JSON shapes of Jira resources, per API version (v3: ADF bodies, v2: wiki text) and per
deployment (Cloud users carry ``accountId``, Server users ``name``/``key``).

Checked against the Cloud OpenAPI schemas by the test suite, so keys are Jira's own: the
response schemas forbid extra properties.
"""

from __future__ import annotations

from collections.abc import Set
from typing import Any

from . import catalog
from .accounts import Account, AccountBook, email_shown, user_json
from .clock import jira_ts
from .model import (
    Body,
    Comment,
    History,
    Issue,
    IssueLink,
    Project,
    RemoteLink,
    State,
    body_adf,
    body_wiki,
)
from .visibility import SERVICE_PROJECT, can_see, is_internal
from .workflow import ScreenField, Transition

ISSUE_EXPAND = "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations"
PRIORITIES = {p[0]: p for p in catalog.PRIORITIES}
ISSUE_TYPES = {t[0]: t for t in catalog.ISSUE_TYPES}
LINK_TYPES = {t[0]: t for t in catalog.LINK_TYPES}


class Renderer:
    def __init__(
        self,
        state: State,
        accounts: AccountBook,
        *,
        base: str,
        version: str,
        cloud: bool,
        tz: str,
        default_tz: str,
        viewer: Account | None = None,
    ) -> None:
        self.state, self.accounts = state, accounts
        self.viewer = viewer  # comments it may not read are left out, as Jira does
        self.base, self.version, self.cloud = base, version, cloud
        self.tz, self.default_tz = tz, default_tz
        self.api = f"{base}/rest/api/{version}"
        self.resolutions = {r[0]: r for r in (catalog.RESOLUTIONS_CLOUD if cloud else catalog.RESOLUTIONS_SERVER)}
        self._user_cache: dict[str, dict[str, Any]] = {}

    # ------------------------------------------------------------ small resources
    def ts(self, ms: int | None) -> str | None:
        return None if ms is None else jira_ts(ms, self.tz)

    def user(self, handle: str | None) -> dict[str, Any] | None:
        if handle is None:
            return None
        hit = self._user_cache.get(handle)
        if hit is None:
            acc = self.accounts.get(handle)
            if acc is None:
                return None
            hit = user_json(
                acc,
                base=self.base,
                cloud=self.cloud,
                api=self.version,
                default_tz=self.default_tz,
                show_email=email_shown(acc, cloud=self.cloud, viewer=self.viewer),
            )
            self._user_cache[handle] = hit
        return hit

    def myself(self, handle: str) -> dict[str, Any]:
        acc = self.accounts.require(handle)
        d = dict(self.user(handle) or {})
        d["locale"] = "en_US"
        d["groups"] = {"size": len(acc.groups), "items": [{"name": g} for g in acc.groups]}
        d["applicationRoles"] = {"size": 1, "items": []}
        d["expand"] = "groups,applicationRoles"
        if self.cloud:
            d["accountType"] = acc.account_type
        return d

    def status_category(self, cat: str) -> dict[str, Any]:
        c = catalog.STATUS_CATEGORIES[cat]
        return {"self": f"{self.api}/statuscategory/{c['id']}", **c}

    def status(self, name: str) -> dict[str, Any]:
        sid, cat, desc = self.state.statuses[name]
        return {
            "self": f"{self.api}/status/{sid}",
            "description": desc,
            "iconUrl": f"{self.base}/images/icons/statuses/generic.png",
            "name": name,
            "id": sid,
            "statusCategory": self.status_category(cat),
        }

    def priority(self, pid: str, full: bool = False) -> dict[str, Any]:
        _id, name, desc, color = PRIORITIES[pid]
        d: dict[str, Any] = {
            "self": f"{self.api}/priority/{pid}",
            "iconUrl": f"{self.base}/images/icons/priorities/{name.lower()}.svg",
            "name": name,
            "id": pid,
        }
        if full:
            d["description"] = desc
            d["statusColor"] = color
            if self.cloud:
                d["isDefault"] = pid == catalog.DEFAULT_PRIORITY
        return d

    def issuetype(self, tid: str) -> dict[str, Any]:
        _id, name, desc, subtask, level, avatar = ISSUE_TYPES[tid]
        d = {
            "self": f"{self.api}/issuetype/{tid}",
            "id": tid,
            "description": desc,
            "iconUrl": f"{self.base}/secure/viewavatar?size=medium&avatarId={avatar}&avatarType=issuetype",
            "name": name,
            "subtask": subtask,
            "avatarId": avatar,
        }
        if self.cloud:
            d["hierarchyLevel"] = level
        return d

    def resolution(self, rid: str | None) -> dict[str, Any] | None:
        if rid is None:
            return None
        _id, name, desc = self.resolutions.get(rid, (rid, rid, ""))
        return {"self": f"{self.api}/resolution/{rid}", "id": rid, "description": desc, "name": name}

    def project_avatars(self, proj: Project) -> dict[str, Any]:
        u = f"{self.base}/secure/projectavatar?pid={proj.id}&avatarId=10400"
        return {"48x48": u, "24x24": u + "&size=small", "16x16": u + "&size=xsmall", "32x32": u + "&size=medium"}

    def project_ref(self, proj: Project) -> dict[str, Any]:
        d: dict[str, Any] = {
            "self": f"{self.api}/project/{proj.id}",
            "id": str(proj.id),
            "key": proj.key,
            "name": proj.name,
            "projectTypeKey": proj.project_type,
        }
        if self.cloud:
            d["simplified"] = False
        d["avatarUrls"] = self.project_avatars(proj)
        return d

    def project(self, proj: Project, full: bool = True) -> dict[str, Any]:
        d: dict[str, Any] = {
            "expand": "description,lead,issueTypes,url,projectKeys,permissions,insight",
            "self": f"{self.api}/project/{proj.id}",
            "id": str(proj.id),
            "key": proj.key,
        }
        if full:
            d["description"] = proj.description
            if proj.lead and self.user(proj.lead):
                d["lead"] = self.user(proj.lead)
            d["components"] = []
            d["issueTypes"] = [self.issuetype(t[0]) for t in catalog.ISSUE_TYPES]
            d["assigneeType"] = "UNASSIGNED"
            d["versions"] = []
            d["roles"] = {}
        d["name"] = proj.name
        d["avatarUrls"] = self.project_avatars(proj)
        d["projectTypeKey"] = proj.project_type
        if self.cloud:
            d["simplified"] = False
            d["style"] = "classic"
            d["isPrivate"] = False
            d["properties"] = {}
        return d

    def link_type(self, tid: str) -> dict[str, Any]:
        _id, name, inward, outward = LINK_TYPES[tid]
        return {
            "id": tid,
            "name": name,
            "inward": inward,
            "outward": outward,
            "self": f"{self.api}/issueLinkType/{tid}",
        }

    def body(self, body: Body | None) -> Any:
        return body_adf(body) if self.version == "3" else body_wiki(body)

    # ------------------------------------------------------------ issue parts
    def linked_issue(self, issue: Issue) -> dict[str, Any]:
        return {
            "id": str(issue.id),
            "key": issue.key,
            "self": f"{self.api}/issue/{issue.id}",
            "fields": {
                "summary": issue.summary,
                "status": self.status(issue.status),
                "priority": self.priority(issue.priority_id),
                "issuetype": self.issuetype(issue.issuetype_id),
            },
        }

    def issue_link(self, link: IssueLink, for_issue: Issue | None = None) -> dict[str, Any]:
        """On an issue: the other side only; standalone (GET issueLink/{id}): both sides."""
        d: dict[str, Any] = {
            "id": str(link.id),
            "self": f"{self.api}/issueLink/{link.id}",
            "type": self.link_type(link.type_id),
        }
        issues = self.state.issues
        if for_issue is None:
            d["inwardIssue"] = self.linked_issue(issues[link.inward_id])
            d["outwardIssue"] = self.linked_issue(issues[link.outward_id])
        elif link.inward_id == for_issue.id:
            d["outwardIssue"] = self.linked_issue(issues[link.outward_id])
        else:
            d["inwardIssue"] = self.linked_issue(issues[link.inward_id])
        return d

    def comment(self, c: Comment, with_properties: bool = False) -> dict[str, Any]:
        d: dict[str, Any] = {
            "self": f"{self.api}/issue/{c.issue_id}/comment/{c.id}",
            "id": str(c.id),
            "author": self.user(c.author),
            "body": self.body(c.body),
            "updateAuthor": self.user(c.update_author),
            "created": self.ts(c.created),
            "updated": self.ts(c.updated),
        }
        if c.visibility:
            d["visibility"] = c.visibility
        if self.cloud:  # Data Center has no such field: only the property tells
            d["jsdPublic"] = not (self._project_type(c) == SERVICE_PROJECT and is_internal(c.properties))
        if with_properties:
            d["properties"] = [{"key": k, "value": v} for k, v in c.properties.items()]
        return d

    def _project_type(self, c: Comment) -> str:
        return self.state.projects_by_id[self.state.issues[c.issue_id].project_id].project_type

    def visible(self, c: Comment) -> bool:
        return can_see(self.viewer, c.visibility, c.properties, self._project_type(c))

    def comments_page(
        self,
        issue: Issue,
        *,
        start: int = 0,
        limit: int | None = None,
        newest_first: bool = False,
        with_properties: bool = False,
    ) -> dict[str, Any]:
        ids = [
            cid
            for cid in (issue.comment_ids[::-1] if newest_first else issue.comment_ids)
            if self.visible(self.state.comments[cid])
        ]
        total = len(ids)
        page = ids[start:] if limit is None else ids[start : start + limit]
        comments = [self.comment(self.state.comments[cid], with_properties) for cid in page]
        return {
            "comments": comments,
            "self": f"{self.api}/issue/{issue.id}/comment",
            "maxResults": len(comments) if limit is None else limit,
            "total": total,
            "startAt": start,
        }

    def history(self, h: History) -> dict[str, Any]:
        return {
            "id": str(h.id),
            "author": self.user(h.author),
            "created": self.ts(h.created),
            "items": [dict(i) for i in h.items],
        }

    def transition(self, t: Transition, with_fields: bool = False) -> dict[str, Any]:
        d: dict[str, Any] = {"id": t.id, "name": t.name, "to": self.status(t.to)}
        if self.cloud:
            d.update(
                {
                    "hasScreen": t.screen is not None,
                    "isGlobal": t.sources is None,
                    "isInitial": False,
                    "isAvailable": True,
                    "isConditional": False,
                    "isLooped": False,
                }
            )
        if with_fields:
            d["fields"] = {f.id: self.screen_field(f) for f in t.screen or ()}
        return d

    def screen_field(self, f: ScreenField) -> dict[str, Any]:
        """``FieldMetadata`` of a transition screen field (``expand=transitions.fields``)."""
        if f.id == "resolution":
            return {
                "required": f.required,
                "schema": {"type": "resolution", "system": "resolution"},
                "name": f.name,
                "key": "resolution",
                "operations": ["set"],
                "allowedValues": [self.resolution(rid) for rid in self.resolutions],
            }
        number = int(f.id.rsplit("_", 1)[-1]) if f.id.rsplit("_", 1)[-1].isdigit() else 0
        return {
            "required": f.required,
            "schema": {
                "type": "string",
                "custom": "com.atlassian.jira.plugin.system.customfieldtypes:textfield",
                "customId": number,
            },
            "name": f.name,
            "key": f.id,
            "operations": ["set"],
        }

    def remote_link(self, rl: RemoteLink) -> dict[str, Any]:
        issue = self.state.issues[rl.issue_id]
        d: dict[str, Any] = {"id": rl.id, "self": f"{self.api}/issue/{issue.key}/remotelink/{rl.id}"}
        if rl.global_id is not None:
            d["globalId"] = rl.global_id
        d["application"] = dict(rl.application or {})
        if rl.relationship is not None:
            d["relationship"] = rl.relationship
        d["object"] = rl.object
        return d

    # ------------------------------------------------------------ issue
    def field_value(self, issue: Issue, fid: str, comment_limit: int | None) -> Any:
        if fid == "summary":
            return issue.summary
        if fid == "description":
            return self.body(issue.description)
        if fid == "status":
            return self.status(issue.status)
        if fid == "priority":
            return self.priority(issue.priority_id)
        if fid == "labels":
            return list(issue.labels)
        if fid == "issuetype":
            return self.issuetype(issue.issuetype_id)
        if fid == "project":
            return self.project_ref(self.state.projects_by_id[issue.project_id])
        if fid == "created":
            return self.ts(issue.created)
        if fid == "updated":
            return self.ts(issue.updated)
        if fid == "comment":
            return self.comments_page(issue, limit=comment_limit)
        if fid == "issuelinks":
            return [self.issue_link(self.state.links[lid], issue) for lid in issue.link_ids]
        if fid in ("reporter", "creator", "assignee"):
            return self.user(getattr(issue, fid))
        if fid == "resolution":
            return self.resolution(issue.resolution_id)
        if fid == "resolutiondate":
            return self.ts(issue.resolutiondate)
        if fid == "statuscategorychangedate":
            return self.ts(issue.statuscategorychangedate)
        return None  # lastViewed

    def issue(
        self,
        issue: Issue,
        fields: set[str] | None,
        *,
        expand: Set[str] = frozenset(),
        properties: list[str] | None = None,
        comment_limit: int | None = None,
    ) -> dict[str, Any]:
        d: dict[str, Any] = {
            "expand": ISSUE_EXPAND,
            "id": str(issue.id),
            "self": f"{self.api}/issue/{issue.id}",
            "key": issue.key,
        }
        order = catalog.ISSUE_FIELD_IDS
        d["fields"] = {
            fid: self.field_value(issue, fid, comment_limit) for fid in order if fields is None or fid in fields
        }
        if properties is not None:
            d["properties"] = select_properties(issue.properties, properties)
        if "names" in expand:
            d["names"] = {fid: catalog.FIELD_NAMES[fid] for fid in d["fields"]}
        if "schema" in expand:
            d["schema"] = {fid: catalog.FIELD_SCHEMAS[fid] for fid in d["fields"] if fid in catalog.FIELD_SCHEMAS}
        if "transitions" in expand:
            proj = self.state.projects_by_id[issue.project_id]
            d["transitions"] = [self.transition(t) for t in proj.workflow.available(issue.status)]
        if "changelog" in expand:
            hs = issue.histories
            if self.cloud:  # Cloud: the 100 most recent, newest first
                shown = hs[::-1][:100]
            else:
                shown = hs
            d["changelog"] = {
                "startAt": 0,
                "maxResults": len(shown),
                "total": len(hs),
                "histories": [self.history(h) for h in shown],
            }
        return d


def select_fields(values: list[str], default: str, cloud: bool) -> set[str] | None:
    """Jira's ``fields`` parameter: ``*all``, ``*navigable``, names, ``-name`` exclusions.
    Returns None for "no fields" (Cloud search's ``id`` default)."""
    all_ids = [f for f in catalog.ISSUE_FIELD_IDS if cloud or f != "statuscategorychangedate"]
    toks = [t.strip() for v in values for t in v.split(",") if t.strip()]
    if not toks:
        toks = [default]
    include: set[str] = set()
    exclude: set[str] = set()
    base_needed = True
    for t in toks:
        if t.startswith("-"):
            exclude.add(t[1:])
            continue
        base_needed = False
        if t == "*all":
            include.update(all_ids)
        elif t == "*navigable":
            include.update(f for f in all_ids if f in catalog.NAVIGABLE)
        elif t in all_ids:
            include.add(t)
    if base_needed:  # only exclusions: start from the default set
        include.update(f for f in all_ids if default == "*all" or f in catalog.NAVIGABLE)
    if toks == ["id"]:
        return None
    return include - exclude


def select_properties(props: dict[str, Any], wanted: list[str]) -> dict[str, Any]:
    toks = [t.strip() for v in wanted for t in v.split(",") if t.strip()]
    keys: list[str] = []
    exclude = {t[1:] for t in toks if t.startswith("-")}
    for t in toks:
        if t == "*all":
            keys.extend(props)
        elif not t.startswith("-"):
            keys.append(t)
    return {k: props[k] for k in keys if k in props and k not in exclude}
