"""State changes, shared by the REST handlers and the Python API (humans acting in the UI).

Callers validate first and hold ``state.lock``; these functions then apply, record changelog
history and bump ``updated`` the way Jira does: field edits, status changes and links write
history; comments, links and remote links bump ``updated``; issue properties touch neither.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from . import catalog
from .accounts import AccountBook
from .errors import ApiError
from .model import (
    Body,
    Comment,
    History,
    Issue,
    IssueLink,
    Project,
    RemoteLink,
    State,
    body_wiki,
)
from .workflow import Transition, Workflow

PRIORITY_NAMES = {p[0]: p[1] for p in catalog.PRIORITIES}
ISSUETYPE_NAMES = {t[0]: t[1] for t in catalog.ISSUE_TYPES}
LINK_TYPES = {t[0]: t for t in catalog.LINK_TYPES}


class Domain:
    def __init__(self, state: State, accounts: AccountBook, *, cloud: bool) -> None:
        self.state, self.accounts, self.cloud = state, accounts, cloud
        # Told of each change (webhooks): on_change(event, issue, actor, comment=, link=, items=)
        self.on_change: Any = None
        table = catalog.RESOLUTIONS_CLOUD if cloud else catalog.RESOLUTIONS_SERVER
        self.resolution_names = {r[0]: r[1] for r in table}

    def _dirty(self) -> None:
        self.state.revision += 1

    def _changed(self, event: str, issue: Issue, actor: str | None, **details: Any) -> None:
        if self.on_change is not None:
            self.on_change(event, issue, actor, **details)

    # ---------------------------------------------------------------- projects
    def add_project(
        self,
        key: str,
        name: str,
        workflow: Workflow,
        lead: str | None = None,
        description: str = "",
        project_type: str = "software",
    ) -> Project:
        st = self.state
        key = key.upper()
        if not key.isalnum() or not key[0].isalpha():
            raise ValueError(f"invalid project key {key!r}")
        if key in st.projects:
            raise ValueError(f"project {key} already exists")
        fixed: dict[str, str] = {}  # explicit id -> status name, checked before anything changes
        for s in workflow.statuses:  # statuses are global: same name, same id and category
            known = st.statuses.get(s.name)
            if known and known[1] != s.category:
                raise ValueError(f"status {s.name!r} already exists with category {known[1]!r}")
            if s.id and not known:
                if s.id in fixed or any(v[0] == s.id for v in st.statuses.values()):
                    raise ValueError(f"status id {s.id} of {s.name!r} is taken by another status")
                fixed[s.id] = s.name
        for s in workflow.statuses:
            if s.name not in st.statuses:
                sid = s.id or catalog.WELL_KNOWN_STATUS_IDS.get(s.name)
                taken = fixed.get(sid or "", s.name) != s.name or any(v[0] == sid for v in st.statuses.values())
                if sid is None or taken:
                    sid = str(st.next_id("status"))
                st.statuses[s.name] = (sid, s.category, s.description)
        proj = Project(st.next_id("project"), key, name, workflow, lead, description, project_type)
        st.projects[key] = proj
        st.projects_by_id[proj.id] = proj
        self._dirty()
        return proj

    # ---------------------------------------------------------------- history
    def _user_ref(self, handle: str | None) -> tuple[str | None, str | None]:
        if handle is None:
            return None, None
        acc = self.accounts.get(handle)
        if acc is None:
            return handle, handle
        return (acc.account_id if self.cloud else acc.name), acc.display_name

    def _item(
        self, field: str, frm: Any, frm_s: Any, to: Any, to_s: Any, *, field_id: str | None = None
    ) -> dict[str, Any]:
        item = {"field": field, "fieldtype": "jira"}
        if self.cloud and field_id:
            item["fieldId"] = field_id
        item.update({"from": frm, "fromString": frm_s, "to": to, "toString": to_s})
        return item

    def _record(self, issue: Issue, actor: str, now: int, items: list[dict[str, Any]]) -> None:
        if items:
            issue.histories.append(History(self.state.next_id("history"), actor, now, items))

    def touch(self, issue: Issue, now: int) -> None:
        issue.updated = max(now, issue.updated)

    # ---------------------------------------------------------------- issues
    def create_issue(
        self,
        project: Project,
        *,
        summary: str,
        issuetype_id: str,
        actor: str,
        now: int,
        description: Body | None = None,
        priority_id: str | None = None,
        labels: list[str] | None = None,
        reporter: str | None = None,
        assignee: str | None = None,
        properties: dict[str, Any] | None = None,
        link_adds: Sequence[tuple[str, Issue, str]] = (),
        comment_adds: Sequence[dict[str, Any]] = (),
    ) -> Issue:
        st = self.state
        iid = st.next_id("issue")
        key = f"{project.key}-{project.next_number}"
        project.next_number += 1
        issue = Issue(
            id=iid,
            key=key,
            project_id=project.id,
            summary=summary,
            description=description,
            issuetype_id=issuetype_id,
            priority_id=priority_id or catalog.DEFAULT_PRIORITY,
            labels=sorted(set(labels or [])),
            status=project.workflow.initial,
            reporter=reporter if reporter is not None else actor,
            creator=actor,
            assignee=assignee,
            created=now,
            updated=now,
            statuscategorychangedate=now,
            properties=dict(properties or {}),
        )
        st.issues[iid] = issue
        st.issues_by_key[key] = issue
        for type_id, other, direction in link_adds:
            if direction == "outward":
                self.add_link(type_id, issue, other, actor, now)
            else:
                self.add_link(type_id, other, issue, actor, now)
        for c in comment_adds:
            self.add_comment(
                issue, c["body"], actor, now, visibility=c.get("visibility"), properties=c.get("properties")
            )
        self._dirty()
        self._changed("jira:issue_created", issue, actor)
        return issue

    def apply_changes(self, issue: Issue, changes: dict[str, Any], actor: str, now: int) -> bool:
        """Apply normalized field changes; returns whether anything changed."""
        items: list[dict[str, Any]] = []
        if "summary" in changes and changes["summary"] != issue.summary:
            items.append(self._item("summary", None, issue.summary, None, changes["summary"], field_id="summary"))
            issue.summary = changes["summary"]
        if "description" in changes and changes["description"] != issue.description:
            old, new = body_wiki(issue.description), body_wiki(changes["description"])
            items.append(self._item("description", None, old, None, new, field_id="description"))
            issue.description = changes["description"]
        if "priority_id" in changes and changes["priority_id"] != issue.priority_id:
            p0, p1 = issue.priority_id, changes["priority_id"]
            items.append(self._item("priority", p0, PRIORITY_NAMES[p0], p1, PRIORITY_NAMES[p1], field_id="priority"))
            issue.priority_id = p1
        if "issuetype_id" in changes and changes["issuetype_id"] != issue.issuetype_id:
            t0, t1 = issue.issuetype_id, changes["issuetype_id"]
            items.append(
                self._item("issuetype", t0, ISSUETYPE_NAMES[t0], t1, ISSUETYPE_NAMES[t1], field_id="issuetype")
            )
            issue.issuetype_id = t1
        if "labels" in changes:
            labels = sorted(set(changes["labels"]))
            if labels != issue.labels:
                items.append(
                    self._item("labels", None, " ".join(issue.labels), None, " ".join(labels), field_id="labels")
                )
                issue.labels = labels
        for who in ("assignee", "reporter"):
            if who in changes and changes[who] != getattr(issue, who):
                was, was_s = self._user_ref(getattr(issue, who))
                now_ref, now_s = self._user_ref(changes[who])
                items.append(self._item(who, was, was_s, now_ref, now_s, field_id=who))
                setattr(issue, who, changes[who])
        if "resolution_id" in changes and changes["resolution_id"] != issue.resolution_id:
            self._set_resolution(issue, changes["resolution_id"], now, items)
        if items:
            self._record(issue, actor, now, items)
            self.touch(issue, now)
            self._dirty()
            self._changed("jira:issue_updated", issue, actor, items=items)
        return bool(items)

    def _set_resolution(self, issue: Issue, rid: str | None, now: int, items: list[dict[str, Any]]) -> None:
        r0 = issue.resolution_id
        items.append(
            self._item(
                "resolution",
                r0,
                self.resolution_names.get(r0) if r0 else None,
                rid,
                self.resolution_names.get(rid) if rid else None,
                field_id="resolution",
            )
        )
        issue.resolution_id = rid
        issue.resolutiondate = now if rid else None

    def transition(
        self,
        issue: Issue,
        tr: Transition,
        actor: str,
        now: int,
        changes: dict[str, Any] | None = None,
        comment_adds: Sequence[dict[str, Any]] = (),
    ) -> None:
        st = self.state
        changes = dict(changes or {})
        old, new = issue.status, tr.to
        items = [self._item("status", st.status_id(old), old, st.status_id(new), new, field_id="status")]
        issue.status = new
        old_cat, new_cat = st.category(old), st.category(new)
        if old_cat != new_cat:
            issue.statuscategorychangedate = now
        # Entering "done" resolves (default "Done"); leaving it clears the resolution.
        requested = changes.pop("resolution_id", None)
        rid = (requested or issue.resolution_id or catalog.DEFAULT_RESOLUTION) if new_cat == "done" else None
        if rid != issue.resolution_id:
            self._set_resolution(issue, rid, now, items)
        self._record(issue, actor, now, items)
        self.touch(issue, now)
        if changes:
            self.apply_changes(issue, changes, actor, now)
        for c in comment_adds:
            self.add_comment(
                issue, c["body"], actor, now, visibility=c.get("visibility"), properties=c.get("properties")
            )
        self._dirty()
        self._changed("jira:issue_updated", issue, actor, items=items)

    def delete_issue(self, issue: Issue) -> None:
        st = self.state
        for lid in list(issue.link_ids):
            link = st.links.pop(lid, None)
            if link:
                other = st.issues.get(link.outward_id if link.inward_id == issue.id else link.inward_id)
                if other and lid in other.link_ids:
                    other.link_ids.remove(lid)
        for cid in issue.comment_ids:
            st.comments.pop(cid, None)
        for rid in issue.remote_link_ids:
            st.remote_links.pop(rid, None)
        self._changed("jira:issue_deleted", issue, None)  # rendered while it still exists
        del st.issues[issue.id]
        for key in (issue.key, *issue.old_keys):
            st.issues_by_key.pop(key, None)
        self._dirty()

    def move_issue(self, issue: Issue, project: Project, actor: str, now: int) -> None:
        """Move to another project: a new key there; the old key keeps resolving to the
        issue (REST and JQL), as in Jira. A status the new workflow lacks becomes its first."""
        st = self.state
        old_key, old_project = issue.key, st.projects_by_id[issue.project_id]
        issue.key = f"{project.key}-{project.next_number}"
        project.next_number += 1
        issue.old_keys.append(old_key)
        issue.project_id = project.id
        st.issues_by_key[issue.key] = issue
        if project.workflow.status(issue.status) is None:
            issue.status = project.workflow.initial
        issue.histories.append(
            History(
                st.next_id("history"),
                actor,
                now,
                [
                    {
                        "field": "Key",
                        "fieldtype": "jira",
                        "from": None,
                        "fromString": old_key,
                        "to": None,
                        "toString": issue.key,
                    },
                    {
                        "field": "project",
                        "fieldtype": "jira",
                        "from": str(old_project.id),
                        "fromString": old_project.name,
                        "to": str(project.id),
                        "toString": project.name,
                    },
                ],
            )
        )
        self.touch(issue, now)
        self._dirty()
        self._changed("jira:issue_updated", issue, actor, items=issue.histories[-1].items)

    # ---------------------------------------------------------------- comments
    def add_comment(
        self,
        issue: Issue,
        body: Body,
        actor: str,
        now: int,
        *,
        visibility: dict[str, Any] | None = None,
        properties: list[Any] | dict[str, Any] | None = None,
    ) -> Comment:
        props = properties if isinstance(properties, dict) else {p["key"]: p.get("value") for p in properties or []}
        c = Comment(self.state.next_id("comment"), issue.id, actor, actor, now, now, body, visibility, dict(props))
        self.state.comments[c.id] = c
        issue.comment_ids.append(c.id)
        self.touch(issue, now)
        self._dirty()
        self._changed("comment_created", issue, actor, comment=c)
        self._changed("jira:issue_updated", issue, actor, comment=c)  # issue_commented
        return c

    def edit_comment(
        self,
        issue: Issue,
        c: Comment,
        body: Body,
        actor: str,
        now: int,
        visibility: dict[str, Any] | None = None,
        properties: list[Any] | None = None,
    ) -> None:
        c.body = body
        c.update_author = actor
        c.updated = now
        if visibility is not None:
            c.visibility = visibility or None  # {} lifts a restriction
        for p in properties or []:
            c.properties[p["key"]] = p.get("value")
        self.touch(issue, now)
        self._dirty()
        self._changed("comment_updated", issue, actor, comment=c)

    def delete_comment(self, issue: Issue, c: Comment, now: int) -> None:
        del self.state.comments[c.id]
        issue.comment_ids.remove(c.id)
        self.touch(issue, now)
        self._dirty()
        self._changed("comment_deleted", issue, None, comment=c)

    # ---------------------------------------------------------------- links
    def find_link(self, type_id: str, inward: Issue, outward: Issue) -> IssueLink | None:
        for lid in inward.link_ids:
            link = self.state.links.get(lid)
            if link and link.type_id == type_id and link.inward_id == inward.id and link.outward_id == outward.id:
                return link
        return None

    def add_link(self, type_id: str, inward: Issue, outward: Issue, actor: str, now: int) -> IssueLink:
        """``inward`` is the issue posted as "inwardIssue": it reads "blocks" ``outward``."""
        existing = self.find_link(type_id, inward, outward)
        if existing:
            return existing
        link = IssueLink(self.state.next_id("link"), type_id, inward.id, outward.id)
        self.state.links[link.id] = link
        _tid, _name, inward_desc, outward_desc = LINK_TYPES[type_id]
        inward.link_ids.append(link.id)
        if outward is not inward:
            outward.link_ids.append(link.id)
        self._record(
            inward,
            actor,
            now,
            [self._item("Link", None, None, outward.key, f"This issue {outward_desc} {outward.key}")],
        )
        self._record(
            outward, actor, now, [self._item("Link", None, None, inward.key, f"This issue {inward_desc} {inward.key}")]
        )
        self.touch(inward, now)
        self.touch(outward, now)
        self._dirty()
        self._changed("issuelink_created", inward, actor, link=link)
        return link

    def delete_link(self, link: IssueLink, actor: str, now: int) -> None:
        st = self.state
        del st.links[link.id]
        _tid, _name, inward_desc, outward_desc = LINK_TYPES[link.type_id]
        inward, outward = st.issues.get(link.inward_id), st.issues.get(link.outward_id)
        for issue, other, desc in ((inward, outward, outward_desc), (outward, inward, inward_desc)):
            if issue is None:
                continue
            if link.id in issue.link_ids:
                issue.link_ids.remove(link.id)
            if other is not None:
                self._record(
                    issue, actor, now, [self._item("Link", other.key, f"This issue {desc} {other.key}", None, None)]
                )
            self.touch(issue, now)
        self._dirty()
        if inward is not None:
            self._changed("issuelink_deleted", inward, actor, link=link)

    # ---------------------------------------------------------------- remote links
    def upsert_remote_link(
        self,
        issue: Issue,
        *,
        obj: dict[str, Any],
        global_id: str | None,
        application: dict[str, Any] | None,
        relationship: str | None,
        actor: str,
        now: int,
    ) -> tuple[RemoteLink, bool]:
        st = self.state
        if global_id:
            for rid in issue.remote_link_ids:
                rl = st.remote_links[rid]
                if rl.global_id == global_id:
                    rl.object, rl.application, rl.relationship = obj, application, relationship
                    self.touch(issue, now)
                    self._dirty()
                    return rl, False
        rl = RemoteLink(st.next_id("remote"), issue.id, global_id, obj, application, relationship)
        st.remote_links[rl.id] = rl
        issue.remote_link_ids.append(rl.id)
        self._record(
            issue,
            actor,
            now,
            [self._item("RemoteIssueLink", None, None, str(rl.id), f'This issue links to "{obj.get("title", "")}"')],
        )
        self.touch(issue, now)
        self._dirty()
        return rl, True

    def delete_remote_link(self, issue: Issue, rl: RemoteLink, actor: str, now: int) -> None:
        del self.state.remote_links[rl.id]
        issue.remote_link_ids.remove(rl.id)
        self._record(
            issue,
            actor,
            now,
            [
                self._item(
                    "RemoteIssueLink", str(rl.id), f'This issue links to "{rl.object.get("title", "")}"', None, None
                )
            ],
        )
        self.touch(issue, now)
        self._dirty()

    # ---------------------------------------------------------------- helpers for the Python API
    def transition_to(self, issue: Issue, target: str, actor: str, now: int) -> None:
        proj = self.state.projects_by_id[issue.project_id]
        st = proj.workflow.status(target)
        if st is None:
            raise ApiError(400, f"Status '{target}' is not part of the workflow of {proj.key}")
        tr = next((t for t in proj.workflow.available(issue.status) if t.to == st.name), None)
        if tr is None:
            raise ApiError(400, f"No transition from '{issue.status}' to '{st.name}' in {proj.key}'s workflow")
        self.transition(issue, tr, actor, now)
