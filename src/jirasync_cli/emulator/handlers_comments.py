"""Comments and comment properties. v3 bodies are ADF documents, v2 bodies wiki text."""

from __future__ import annotations

from typing import Any

from . import adf
from .errors import ApiError
from .fields import TEXT_LIMIT, TOO_LONG
from .handlers_issues import (
    get_issue,
    parse_properties,
    property_delete,
    property_get,
    property_put,
)
from .model import Body, Comment, Issue
from .router import Ctx, Response, router
from .visibility import check_visibility

INVALID = "Comment body is not valid!"


def parse_body(ctx: Ctx, value: Any) -> Body:
    """Jira's rules: v3 needs an ADF document, v2 a non-empty string."""
    if ctx.version == "3":
        if not adf.is_valid_adf(value):
            raise ApiError(400, [], {"comment": INVALID})
        text = adf.adf_to_text(value)
        if not text and not value.get("content"):
            raise ApiError(400, [], {"comment": "Comment body can not be empty!"})
        if len(text) > TEXT_LIMIT:
            raise ApiError(400, [], {"comment": TOO_LONG})
        return ("adf", value)
    if isinstance(value, (dict, list)):
        raise ApiError(400, ["Can not deserialize instance of java.lang.String out of START_OBJECT token"])
    if not isinstance(value, str) or not value.strip():
        raise ApiError(400, [], {"comment": "Comment body can not be empty!"})
    if len(value) > TEXT_LIMIT:
        raise ApiError(400, [], {"comment": TOO_LONG})
    return ("wiki", value)


def get_comment(ctx: Ctx, issue: Issue, cid: str) -> Comment:
    c = ctx.state.comments.get(int(cid)) if cid.isascii() and cid.isdigit() else None
    if c is None or c.issue_id != issue.id or not ctx.renderer().visible(c):
        raise ApiError(404, [f"Can not find a comment for the id: {cid}."])
    return c


@router.add("GET", "/issue/{ident}/comment")
def list_comments(ctx: Ctx, ident: str) -> Response:
    issue = get_issue(ctx, ident)
    start = max(0, ctx.q_int("startAt", 0))
    limit = max(0, min(ctx.q_int("maxResults", 100 if ctx.cloud else 5000), 5000))
    order = (ctx.q("orderBy") or "created").strip()
    if order.lstrip("+-") != "created":
        raise ApiError(400, [f"Invalid orderBy value '{order}'. Only 'created' is supported."])
    # expand=properties is not documented for this resource on Cloud (use POST comment/list)
    expand_properties = "properties" in ctx.q_list("expand") and ctx.emu.comment_list_properties
    body = ctx.renderer().comments_page(
        issue, start=start, limit=limit, newest_first=order.startswith("-"), with_properties=expand_properties
    )
    del body["self"]  # the standalone page has no "self" (only the one embedded in an issue)
    return Response(200, body)


@router.add("POST", "/issue/{ident}/comment")
def add_comment(ctx: Ctx, ident: str) -> Response:
    issue = get_issue(ctx, ident)
    data = ctx.json_body()
    body = parse_body(ctx, data.get("body"))
    visibility = check_visibility(data.get("visibility"), ctx.account)
    props = parse_properties(data.get("properties"))
    c = ctx.domain.add_comment(issue, body, ctx.actor, ctx.now_ms, visibility=visibility, properties=props)
    return Response(201, ctx.renderer().comment(c, with_properties="properties" in ctx.q_list("expand")))


@router.add("GET", "/issue/{ident}/comment/{cid}")
def read_comment(ctx: Ctx, ident: str, cid: str) -> Response:
    issue = get_issue(ctx, ident)
    c = get_comment(ctx, issue, cid)
    return Response(200, ctx.renderer().comment(c, with_properties="properties" in ctx.q_list("expand")))


@router.add("PUT", "/issue/{ident}/comment/{cid}")
def edit_comment(ctx: Ctx, ident: str, cid: str) -> Response:
    issue = get_issue(ctx, ident)
    c = get_comment(ctx, issue, cid)
    data = ctx.json_body()
    body = parse_body(ctx, data.get("body"))
    visibility = check_visibility(data.get("visibility"), ctx.account)
    props = data.get("properties")
    parse_properties(props)
    ctx.domain.edit_comment(issue, c, body, ctx.actor, ctx.now_ms, visibility, props)
    return Response(200, ctx.renderer().comment(c, with_properties="properties" in ctx.q_list("expand")))


@router.add("DELETE", "/issue/{ident}/comment/{cid}")
def delete_comment(ctx: Ctx, ident: str, cid: str) -> Response:
    issue = get_issue(ctx, ident)
    ctx.domain.delete_comment(issue, get_comment(ctx, issue, cid), ctx.now_ms)
    return Response(204)


# ---------------------------------------------------------------- comment properties


def _comment_anywhere(ctx: Ctx, cid: str) -> Comment:
    c = ctx.state.comments.get(int(cid)) if cid.isascii() and cid.isdigit() else None
    if c is None or not ctx.renderer().visible(c):
        raise ApiError(404, [f"Can not find a comment for the id: {cid}."])
    return c


@router.add("GET", "/comment/{cid}/properties")
def comment_property_keys(ctx: Ctx, cid: str) -> Response:
    c = _comment_anywhere(ctx, cid)
    api = ctx.renderer().api
    return Response(200, {"keys": [{"key": k, "self": f"{api}/comment/{c.id}/properties/{k}"} for k in c.properties]})


@router.add("GET", "/comment/{cid}/properties/{prop}")
def get_comment_property(ctx: Ctx, cid: str, prop: str) -> Response:
    return property_get(_comment_anywhere(ctx, cid).properties, prop)


@router.add("PUT", "/comment/{cid}/properties/{prop}")
def put_comment_property(ctx: Ctx, cid: str, prop: str) -> Response:
    return property_put(ctx, _comment_anywhere(ctx, cid).properties, prop)


@router.add("DELETE", "/comment/{cid}/properties/{prop}")
def delete_comment_property(ctx: Ctx, cid: str, prop: str) -> Response:
    return property_delete(ctx, _comment_anywhere(ctx, cid).properties, prop)
