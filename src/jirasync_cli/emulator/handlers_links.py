"""Issue links (between two issues) and remote links (to anything with a URL)."""

from __future__ import annotations

from typing import Any

from . import catalog
from .errors import ApiError
from .handlers_comments import parse_body
from .handlers_issues import get_issue
from .model import Issue, IssueLink, RemoteLink
from .router import Ctx, Response, router


def _link_type(ctx: Ctx, raw: Any) -> str:
    if not isinstance(raw, dict):
        raise ApiError(400, ["Issue link type is required."])
    for tid, name, _i, _o in catalog.LINK_TYPES:
        if str(raw.get("id")) == tid or raw.get("name") == name:
            return tid
    ident = raw.get("name", raw.get("id"))
    raise ApiError(404, [f"No issue link type with name '{ident}' found."])


def _linked(ctx: Ctx, raw: Any, side: str) -> Issue:
    ident = raw.get("key") or raw.get("id") if isinstance(raw, dict) else None
    if ident is None:
        raise ApiError(400, [f"The {side} issue must be specified."])
    issue = ctx.state.issue(ident)
    if issue is None:
        raise ApiError(404, [f"Issue Does Not Exist: {ident}"])
    return issue


@router.add("POST", "/issueLink")
def create_link(ctx: Ctx) -> Response:
    body = ctx.json_body()
    tid = _link_type(ctx, body.get("type"))
    inward = _linked(ctx, body.get("inwardIssue"), "inward")
    outward = _linked(ctx, body.get("outwardIssue"), "outward")
    comment = body.get("comment") if isinstance(body.get("comment"), dict) else None
    cbody = parse_body(ctx, comment.get("body")) if comment is not None else None
    link = ctx.domain.add_link(tid, inward, outward, ctx.actor, ctx.now_ms)
    if comment is not None and cbody is not None:
        ctx.domain.add_comment(inward, cbody, ctx.actor, ctx.now_ms, visibility=comment.get("visibility"))
    api = ctx.renderer().api
    return Response(201, None, {"Location": f"{api}/issueLink/{link.id}"})


def _get_link(ctx: Ctx, lid: str) -> IssueLink:
    link = ctx.state.links.get(int(lid)) if lid.isascii() and lid.isdigit() else None
    if link is None:
        raise ApiError(404, [f"No issue link with id '{lid}' exists."])
    return link


@router.add("GET", "/issueLink/{lid}")
def read_link(ctx: Ctx, lid: str) -> Response:
    return Response(200, ctx.renderer().issue_link(_get_link(ctx, lid)))


@router.add("DELETE", "/issueLink/{lid}")
def delete_link(ctx: Ctx, lid: str) -> Response:
    ctx.domain.delete_link(_get_link(ctx, lid), ctx.actor, ctx.now_ms)
    return Response(204)


# ---------------------------------------------------------------- remote links


def _remote_payload(body: dict[str, Any]) -> dict[str, Any]:
    obj = body.get("object")
    errors = {}
    if not isinstance(obj, dict):
        raise ApiError(400, [], {"object": "'object' is required."})
    if not isinstance(obj.get("url"), str) or not obj.get("url"):
        errors["url"] = "'url' is required."
    if not isinstance(obj.get("title"), str) or not obj.get("title"):
        errors["title"] = "'title' is required."
    if errors:
        raise ApiError(400, [], errors)
    app = body.get("application")
    return {
        "obj": dict(obj),
        "global_id": body.get("globalId") or None,
        "application": dict(app) if isinstance(app, dict) else None,
        "relationship": body.get("relationship"),
    }


@router.add("GET", "/issue/{ident}/remotelink")
def list_remote(ctx: Ctx, ident: str) -> Response:
    issue = get_issue(ctx, ident)
    r = ctx.renderer()
    links = [ctx.state.remote_links[rid] for rid in issue.remote_link_ids]
    gid = ctx.q("globalId")
    if gid is not None:
        match = next((rl for rl in links if rl.global_id == gid), None)
        if match is None:
            raise ApiError(404, [f"No remote link with global id '{gid}' exists on issue '{issue.key}'."])
        return Response(200, r.remote_link(match))
    return Response(200, [r.remote_link(rl) for rl in links])


@router.add("POST", "/issue/{ident}/remotelink")
def upsert_remote(ctx: Ctx, ident: str) -> Response:
    issue = get_issue(ctx, ident)
    p = _remote_payload(ctx.json_body())
    rl, created = ctx.domain.upsert_remote_link(
        issue,
        obj=p["obj"],
        global_id=p["global_id"],
        application=p["application"],
        relationship=p["relationship"],
        actor=ctx.actor,
        now=ctx.now_ms,
    )
    api = ctx.renderer().api
    return Response(201 if created else 200, {"id": rl.id, "self": f"{api}/issue/{issue.key}/remotelink/{rl.id}"})


def _get_remote(ctx: Ctx, issue: Issue, lid: str) -> RemoteLink:
    rl = ctx.state.remote_links.get(int(lid)) if lid.isascii() and lid.isdigit() else None
    if rl is None or rl.issue_id != issue.id:
        raise ApiError(404, [f"No remote link with id '{lid}' exists on issue '{issue.key}'."])
    return rl


@router.add("GET", "/issue/{ident}/remotelink/{lid}")
def read_remote(ctx: Ctx, ident: str, lid: str) -> Response:
    issue = get_issue(ctx, ident)
    return Response(200, ctx.renderer().remote_link(_get_remote(ctx, issue, lid)))


@router.add("PUT", "/issue/{ident}/remotelink/{lid}")
def update_remote(ctx: Ctx, ident: str, lid: str) -> Response:
    issue = get_issue(ctx, ident)
    rl = _get_remote(ctx, issue, lid)
    p = _remote_payload(ctx.json_body())
    rl.object, rl.application, rl.relationship = p["obj"], p["application"], p["relationship"]
    if p["global_id"]:
        rl.global_id = p["global_id"]
    ctx.domain.touch(issue, ctx.now_ms)
    ctx.state.revision += 1
    return Response(204)


@router.add("DELETE", "/issue/{ident}/remotelink/{lid}")
def delete_remote(ctx: Ctx, ident: str, lid: str) -> Response:
    issue = get_issue(ctx, ident)
    ctx.domain.delete_remote_link(issue, _get_remote(ctx, issue, lid), ctx.actor, ctx.now_ms)
    return Response(204)


@router.add("DELETE", "/issue/{ident}/remotelink")
def delete_remote_by_global(ctx: Ctx, ident: str) -> Response:
    issue = get_issue(ctx, ident)
    gid = ctx.q("globalId")
    if not gid:
        raise ApiError(400, ["The 'globalId' parameter is required."])
    rl = next(
        (ctx.state.remote_links[r] for r in issue.remote_link_ids if ctx.state.remote_links[r].global_id == gid), None
    )
    if rl is None:
        raise ApiError(404, [f"No remote link with global id '{gid}' exists on issue '{issue.key}'."])
    ctx.domain.delete_remote_link(issue, rl, ctx.actor, ctx.now_ms)
    return Response(204)
