"""Create and edit metadata: what the screens of :mod:`.screens` let a request set.

``GET issue/createmeta/{project}/issuetypes[/{issueTypeId}]`` (Jira 8.4+ and Cloud; the old
``issue/createmeta?projectKeys=`` is deprecated and not served) and ``GET issue/{key}/editmeta``.
Pages are ``{startAt, maxResults, total, issueTypes|fields}`` on Cloud (as in the OpenAPI
spec) and ``{startAt, maxResults, total, isLast, values}`` on Data Center.
"""

from __future__ import annotations

from typing import Any

from . import catalog
from .errors import ApiError
from .handlers_issues import get_issue
from .model import Project
from .render import Renderer
from .router import Ctx, Response, router
from .screens import OPERATIONS, SETTABLE

ORDER = ("summary", "issuetype", *(f for f in SETTABLE if f != "summary"))
REQUIRED = {"summary", "issuetype", "project"}
NAMES = {**catalog.FIELD_NAMES, "project": "Project"}


def field_meta(r: Renderer, fid: str, *, issuetype_id: str, project: Any, create: bool) -> dict[str, Any]:
    d: dict[str, Any] = {"required": fid in REQUIRED, "schema": dict(catalog.FIELD_SCHEMAS[fid]), "name": NAMES[fid]}
    if create:
        d["fieldId"] = fid
    if r.cloud:
        d["key"] = fid
    if fid in ("assignee", "reporter"):
        d["autoCompleteUrl"] = f"{r.api}/user/search?query="
    elif fid == "labels":
        d["autoCompleteUrl"] = f"{r.base}/rest/api/1.0/labels/suggest?query="
    d["hasDefaultValue"] = fid == "priority"
    d["operations"] = list(OPERATIONS[fid])
    if fid == "priority":
        d["allowedValues"] = [r.priority(p[0]) for p in catalog.PRIORITIES]
        d["defaultValue"] = r.priority(catalog.DEFAULT_PRIORITY)
    elif fid == "issuetype":
        d["allowedValues"] = [r.issuetype(issuetype_id)]
    elif fid == "project":
        d["allowedValues"] = [r.project_ref(project)]
    return d


def _page(ctx: Ctx, items: list[Any], cloud_key: str) -> Response:
    start = max(0, ctx.q_int("startAt", 0))
    limit = max(1, min(ctx.q_int("maxResults", 50), 200))
    page = items[start : start + limit]
    if ctx.cloud:
        return Response(200, {"maxResults": limit, "startAt": start, "total": len(items), cloud_key: page})
    return Response(
        200,
        {
            "maxResults": limit,
            "startAt": start,
            "total": len(items),
            "isLast": start + len(page) >= len(items),
            "values": page,
        },
    )


def _project(ctx: Ctx, ident: str) -> Project:
    proj = ctx.state.project(ident)
    if proj is None:
        raise ApiError(404, [f"No project could be found with key '{ident}'."])
    return proj


def _creatable_types() -> list[str]:
    return [t[0] for t in catalog.ISSUE_TYPES if not t[3]]  # sub-tasks need a parent: not offered here


@router.add("GET", "/issue/createmeta/{project}/issuetypes")
def create_issue_types(ctx: Ctx, project: str) -> Response:
    _project(ctx, project)
    r = ctx.renderer()
    return _page(ctx, [r.issuetype(tid) for tid in _creatable_types()], "issueTypes")


@router.add("GET", "/issue/createmeta/{project}/issuetypes/{type_id}")
def create_fields(ctx: Ctx, project: str, type_id: str) -> Response:
    proj = _project(ctx, project)
    if type_id not in _creatable_types():
        raise ApiError(404, [f"Issue type with id '{type_id}' does not exist in project '{proj.key}'."])
    r = ctx.renderer()
    screen = ctx.emu.screens_of(proj, type_id)
    ids = [f for f in ORDER if f in screen.create]
    ids.insert(ids.index("issuetype") + 1, "project")
    return _page(ctx, [field_meta(r, f, issuetype_id=type_id, project=proj, create=True) for f in ids], "fields")


@router.add("GET", "/issue/{ident}/editmeta")
def edit_meta(ctx: Ctx, ident: str) -> Response:
    issue = get_issue(ctx, ident)
    proj = ctx.state.projects_by_id[issue.project_id]
    screen = ctx.emu.screens_of(proj, issue.issuetype_id)
    r = ctx.renderer()
    ids = [f for f in ORDER if f in screen.edit] + ["comment"]  # comments need no screen
    return Response(
        200, {"fields": {f: field_meta(r, f, issuetype_id=issue.issuetype_id, project=proj, create=False) for f in ids}}
    )
