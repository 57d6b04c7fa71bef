"""serverInfo, myself, field, project, status, priority, issuetype, issueLinkType, resolution."""

from __future__ import annotations

from . import catalog
from .clock import jira_ts
from .errors import ApiError
from .model import Project
from .router import Ctx, Response, router
from .visibility import ROLES

CLOUD_VERSION = ("1001.0.0-SNAPSHOT", [1001, 0, 0], 100289)
SERVER_VERSION = ("9.12.15", [9, 12, 15], 9120015)


@router.add("GET", "/serverInfo", anonymous=True)
def server_info(ctx: Ctx) -> Response:
    version, numbers, build = CLOUD_VERSION if ctx.cloud else SERVER_VERSION
    return Response(
        200,
        {
            "baseUrl": ctx.base,
            "version": version,
            "versionNumbers": numbers,
            "deploymentType": "Cloud" if ctx.cloud else "Server",
            "buildNumber": build,
            "buildDate": "2025-11-20T00:00:00.000+0000",
            "serverTime": jira_ts(ctx.now_ms, ctx.emu.timezone),
            "scmInfo": "5d8d8e3a1b2c4f6a7b8c9d0e1f2a3b4c5d6e7f80",
            "serverTitle": "Jira" if ctx.cloud else "Jira (emulated Data Center)",
        },
    )


@router.add("GET", "/myself")
def myself(ctx: Ctx) -> Response:
    return Response(200, ctx.renderer().myself(ctx.account.name))


@router.add("GET", "/field")
def fields(ctx: Ctx) -> Response:
    out = []
    for f in catalog.FIELDS:
        if f["cloud_only"] and not ctx.cloud:
            continue
        d = {"id": f["id"]}
        if ctx.cloud:
            d["key"] = f["id"]
        d.update(
            {
                "name": f["name"],
                "custom": False,
                "orderable": f["orderable"],
                "navigable": f["navigable"],
                "searchable": f["searchable"],
                "clauseNames": list(f["clauseNames"]),
            }
        )
        if f["schema"]:
            d["schema"] = dict(f["schema"])
        out.append(d)
    return Response(200, out)


def _project_or_404(ctx: Ctx, ident: str) -> Project:
    proj = ctx.state.project(ident)
    if proj is None:
        raise ApiError(404, [f"No project could be found with key '{ident}'."])
    return proj


@router.add("GET", "/project")
def projects(ctx: Ctx) -> Response:
    r = ctx.renderer()
    return Response(200, [r.project(p, full=False) for p in ctx.state.projects.values()])


@router.add("GET", "/project/search", cloud_only=True)
def project_search(ctx: Ctx) -> Response:
    start = max(0, ctx.q_int("startAt", 0))
    limit = max(1, min(ctx.q_int("maxResults", 50), 100))
    query = (ctx.q("query") or "").lower()
    keys = {k.upper() for k in ctx.q_list("keys")}
    found = [
        p
        for p in ctx.state.projects.values()
        if (not query or query in p.key.lower() or query in p.name.lower()) and (not keys or p.key in keys)
    ]
    found.sort(key=lambda p: p.key)
    page = found[start : start + limit]
    r = ctx.renderer()
    body = {
        "self": f"{r.api}/project/search?startAt={start}&maxResults={limit}",
        "maxResults": limit,
        "startAt": start,
        "total": len(found),
        "isLast": start + limit >= len(found),
        "values": [r.project(p, full=False) for p in page],
    }
    if not body["isLast"]:
        body["nextPage"] = f"{r.api}/project/search?startAt={start + limit}&maxResults={limit}"
    return Response(200, body)


@router.add("GET", "/project/{key}")
def project(ctx: Ctx, key: str) -> Response:
    return Response(200, ctx.renderer().project(_project_or_404(ctx, key)))


@router.add("GET", "/project/{key}/role")
def project_roles(ctx: Ctx, key: str) -> Response:
    """Role name -> role URL, as Jira lists a project's roles."""
    proj = _project_or_404(ctx, key)
    api = ctx.renderer().api
    return Response(200, {name: f"{api}/project/{proj.id}/role/{10000 + i}" for i, name in enumerate(ROLES)})


@router.add("GET", "/project/{key}/statuses")
def project_statuses(ctx: Ctx, key: str) -> Response:
    proj = _project_or_404(ctx, key)
    r = ctx.renderer()
    statuses = [r.status(s.name) for s in proj.workflow.statuses]
    return Response(
        200,
        [
            {"self": f"{r.api}/issuetype/{t[0]}", "id": t[0], "name": t[1], "subtask": t[3], "statuses": statuses}
            for t in catalog.ISSUE_TYPES
        ],
    )


@router.add("GET", "/status")
def statuses(ctx: Ctx) -> Response:
    r = ctx.renderer()
    return Response(200, [r.status(name) for name in ctx.state.statuses])


@router.add("GET", "/status/{ident}")
def status(ctx: Ctx, ident: str) -> Response:
    name = ctx.state.status_by_id_or_name(ident)
    if name is None:
        raise ApiError(404, [f"The status with id '{ident}' does not exist"])
    return Response(200, ctx.renderer().status(name))


@router.add("GET", "/priority")
def priorities(ctx: Ctx) -> Response:
    r = ctx.renderer()
    return Response(200, [r.priority(p[0], full=True) for p in catalog.PRIORITIES])


@router.add("GET", "/issuetype")
def issuetypes(ctx: Ctx) -> Response:
    r = ctx.renderer()
    return Response(200, [r.issuetype(t[0]) for t in catalog.ISSUE_TYPES])


@router.add("GET", "/resolution")
def resolutions(ctx: Ctx) -> Response:
    r = ctx.renderer()
    return Response(200, [r.resolution(rid) for rid in r.resolutions])


@router.add("GET", "/issueLinkType")
def link_types(ctx: Ctx) -> Response:
    r = ctx.renderer()
    return Response(200, {"issueLinkTypes": [r.link_type(t[0]) for t in catalog.LINK_TYPES]})


@router.add("GET", "/issueLinkType/{tid}")
def link_type(ctx: Ctx, tid: str) -> Response:
    if tid not in {t[0] for t in catalog.LINK_TYPES}:
        raise ApiError(404, [f"No issue link type with id '{tid}' found."])
    return Response(200, ctx.renderer().link_type(tid))


@router.add("GET", "/user")
def user(ctx: Ctx) -> Response:
    if ctx.cloud:
        ident = ctx.q("accountId")
        acc = ctx.emu.accounts.get(ident) if ident else None
        if acc is None or acc.account_id != ident:
            raise ApiError(404, ["Specified user does not exist or you do not have required permissions"])
    else:
        ident = ctx.q("username") or ctx.q("key")
        acc = ctx.emu.accounts.get(ident) if ident else None
        if acc is None or ident not in (acc.name, acc.key):
            raise ApiError(404, [f"The user named '{ident}' does not exist"])
    return Response(200, ctx.renderer().myself(acc.name))


@router.add("GET", "/user/search")
def user_search(ctx: Ctx) -> Response:
    query = (ctx.q("query") or ctx.q("username") or "").lower()
    if ctx.cloud and ctx.q("accountId"):
        found = [a for a in ctx.emu.accounts.accounts if a.account_id == ctx.q("accountId")]
    elif not query:
        raise ApiError(400, ["The query parameter 'query' is required."])
    else:
        found = [
            a
            for a in ctx.emu.accounts.accounts
            if any(w.startswith(query) for w in (a.display_name.lower().split() + [a.email.lower(), a.name]))
        ]
    start = max(0, ctx.q_int("startAt", 0))
    limit = max(1, min(ctx.q_int("maxResults", 50), 1000))
    r = ctx.renderer()
    return Response(200, [r.user(a.name) for a in found[start : start + limit]])


@router.add("GET", "/_applinks")
def application_links(ctx: Ctx) -> Response:
    return Response(200, {"list": []})
