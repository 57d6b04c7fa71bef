"""Issues: create, get, edit, delete, transitions, properties, changelog."""

from __future__ import annotations

import json
from typing import Any

from .errors import ApiError, not_found_issue
from .fields import EDITABLE, FieldParser
from .model import Issue
from .render import select_fields
from .router import Ctx, Response, router

PROPERTY_VALUE_LIMIT = 32768


def get_issue(ctx: Ctx, ident: str) -> Issue:
    issue = ctx.state.issue(ident)
    if issue is None:
        raise not_found_issue()
    return issue


def parse_properties(raw: Any) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, list) or not all(isinstance(p, dict) and isinstance(p.get("key"), str) for p in raw):
        raise ApiError(400, ["Properties must be a list of objects with 'key' and 'value'."])
    out = {}
    for p in raw:
        check_property(p["key"], p.get("value"))
        out[p["key"]] = p.get("value")
    return out


def check_property(key: str, value: Any) -> None:
    if not key or len(key) > 255:
        raise ApiError(400, ["The property key cannot be longer than 255 characters."])
    if len(json.dumps(value)) > PROPERTY_VALUE_LIMIT:
        raise ApiError(400, [f"The property value cannot be longer than {PROPERTY_VALUE_LIMIT} characters."])


# Entity properties behave alike on issues and comments: one implementation for both.
def property_get(properties: dict[str, Any], prop: str) -> Response:
    if prop not in properties:
        raise ApiError(404, [f"The property with key '{prop}' does not exist."])
    return Response(200, {"key": prop, "value": properties[prop]})


def property_put(ctx: Ctx, properties: dict[str, Any], prop: str) -> Response:
    if ctx.body is None:
        raise ApiError(400, ["The property value must be a valid, non-empty JSON."])
    check_property(prop, ctx.body)
    created = prop not in properties
    properties[prop] = ctx.body
    ctx.state.revision += 1  # properties do not touch "updated", as in Jira
    return Response(201 if created else 200)


def property_delete(ctx: Ctx, properties: dict[str, Any], prop: str) -> Response:
    if prop not in properties:
        raise ApiError(404, [f"The property with key '{prop}' does not exist."])
    del properties[prop]
    ctx.state.revision += 1
    return Response(204)


def issue_json(
    ctx: Ctx, issue: Issue, *, default_fields: str = "*all", comment_limit: int | None = None
) -> dict[str, Any]:
    fields = select_fields(ctx.query.get("fields", []), default_fields, ctx.cloud) or set()
    props = ctx.query.get("properties")
    return ctx.renderer().issue(
        issue, fields, expand=set(ctx.q_list("expand")), properties=props, comment_limit=comment_limit
    )


def _create_screen(ctx: Ctx, fields: Any) -> set[str]:
    """The fields the create screen of the request's project and issue type allows.

    Project and issue type are read leniently here; the full parse reports their errors."""
    fields = fields if isinstance(fields, dict) else {}
    probe = FieldParser(ctx.state, ctx.emu.accounts, version=ctx.version, cloud=ctx.cloud)
    proj = probe.project(fields.get("project"))
    if proj is None:
        return set(EDITABLE)
    tid = probe.issuetype(fields["issuetype"]) if "issuetype" in fields else None
    return set(ctx.emu.screens_of(proj, tid).create)


@router.add("POST", "/issue")
def create_issue(ctx: Ctx) -> Response:
    body = ctx.json_body()
    parser = FieldParser(ctx.state, ctx.emu.accounts, version=ctx.version, cloud=ctx.cloud)
    parsed = parser.parse(
        body.get("fields"), body.get("update"), issue=None, creating=True, allow=_create_screen(ctx, body.get("fields"))
    )
    parser.raise_if_errors()
    props = parse_properties(body.get("properties"))  # entity properties: not fields, no screen applies
    proj = parsed.project
    tr = None
    if isinstance(body.get("transition"), dict) and body["transition"].get("id") is not None:
        tr = proj.workflow.transition_by_id(str(body["transition"]["id"]))
        if tr is None or not tr.available_from(proj.workflow.initial):
            raise ApiError(400, [f"Transition id '{body['transition']['id']}' is not valid for this issue."])
    ch = parsed.changes
    issue = ctx.domain.create_issue(
        proj,
        summary=ch["summary"],
        issuetype_id=ch["issuetype_id"],
        actor=ctx.actor,
        now=ctx.now_ms,
        description=ch.get("description"),
        priority_id=ch.get("priority_id"),
        labels=ch.get("labels"),
        reporter=ch.get("reporter"),
        assignee=ch.get("assignee"),
        properties=props,
        link_adds=parsed.link_adds,
        comment_adds=parsed.comment_adds,
    )
    if tr is not None:
        ctx.domain.transition(issue, tr, ctx.actor, ctx.now_ms)
    api = ctx.renderer().api
    return Response(201, {"id": str(issue.id), "key": issue.key, "self": f"{api}/issue/{issue.id}"})


@router.add("GET", "/issue/{ident}")
def read_issue(ctx: Ctx, ident: str) -> Response:
    return Response(200, issue_json(ctx, get_issue(ctx, ident)))


@router.add("PUT", "/issue/{ident}")
def edit_issue(ctx: Ctx, ident: str) -> Response:
    issue = get_issue(ctx, ident)
    body = ctx.json_body()
    parser = FieldParser(ctx.state, ctx.emu.accounts, version=ctx.version, cloud=ctx.cloud)
    screen = ctx.emu.screens_of(ctx.state.projects_by_id[issue.project_id], issue.issuetype_id)
    parsed = parser.parse(body.get("fields"), body.get("update"), issue=issue, creating=False, allow=set(screen.edit))
    parser.raise_if_errors()
    props = parse_properties(body.get("properties"))
    d = ctx.domain
    d.apply_changes(issue, parsed.changes, ctx.actor, ctx.now_ms)
    for type_id, other, direction in parsed.link_adds:
        inward, outward = (issue, other) if direction == "outward" else (other, issue)
        d.add_link(type_id, inward, outward, ctx.actor, ctx.now_ms)
    for c in parsed.comment_adds:
        d.add_comment(issue, c["body"], ctx.actor, ctx.now_ms, visibility=c["visibility"], properties=c["properties"])
    if props:
        issue.properties.update(props)
        ctx.state.revision += 1
    if ctx.cloud and ctx.q_bool("returnIssue"):
        return Response(200, issue_json(ctx, issue))
    return Response(204)


@router.add("DELETE", "/issue/{ident}")
def delete_issue(ctx: Ctx, ident: str) -> Response:
    ctx.domain.delete_issue(get_issue(ctx, ident))
    return Response(204)


# ---------------------------------------------------------------- transitions


@router.add("GET", "/issue/{ident}/transitions")
def transitions(ctx: Ctx, ident: str) -> Response:
    issue = get_issue(ctx, ident)
    wf = ctx.state.projects_by_id[issue.project_id].workflow
    only = ctx.q("transitionId")
    r = ctx.renderer()
    out = []
    with_fields = "transitions.fields" in ctx.q_list("expand")
    for t in wf.available(issue.status):
        if only is None or t.id == only:
            out.append(r.transition(t, with_fields=with_fields))
    return Response(200, {"expand": "transitions", "transitions": out})


@router.add("POST", "/issue/{ident}/transitions")
def do_transition(ctx: Ctx, ident: str) -> Response:
    issue = get_issue(ctx, ident)
    body = ctx.json_body()
    t = body.get("transition")
    if not isinstance(t, dict) or t.get("id") in (None, ""):
        raise ApiError(400, ["Missing 'transition' identifier"])
    tid = str(t["id"])
    tr = ctx.state.projects_by_id[issue.project_id].workflow.transition_by_id(tid)
    if tr is None or not tr.available_from(issue.status):
        raise ApiError(400, [f"Transition id '{tid}' is not valid for this issue."])
    fields, update = _screen_values(ctx, tr, body.get("fields"), body.get("update"))
    parser = FieldParser(ctx.state, ctx.emu.accounts, version=ctx.version, cloud=ctx.cloud)
    allow = {f.id for f in tr.screen or ()} if ctx.emu.strict_transition_screens else EDITABLE | {"resolution"}
    parsed = parser.parse(fields, update, issue=issue, creating=False, allow=allow)
    parser.raise_if_errors()
    props = parse_properties(body.get("properties"))
    ctx.domain.transition(issue, tr, ctx.actor, ctx.now_ms, parsed.changes, parsed.comment_adds)
    for type_id, other, direction in parsed.link_adds:
        inward, outward = (issue, other) if direction == "outward" else (other, issue)
        ctx.domain.add_link(type_id, inward, outward, ctx.actor, ctx.now_ms)
    issue.properties.update(props)
    return Response(204)


def _screen_values(ctx: Ctx, tr: Any, fields: Any, update: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Check a transition request against the transition's screen, as Jira does: required
    fields must be given ("Field Resolution is required."); fields not on the screen cannot
    be set (a comment can always be added). Screen custom fields are accepted and dropped
    (the emulator stores no custom field values)."""
    fields = dict(fields) if isinstance(fields, dict) else {}
    update = dict(update) if isinstance(update, dict) else {}
    if not ctx.emu.strict_transition_screens:
        return fields, update
    errors: dict[str, str] = {}
    for f in tr.screen or ():
        given = fields.get(f.id) not in (None, "", {}, []) or bool(update.get(f.id))
        if f.required and not given:
            errors[f.id] = f"Field {f.name} is required."
        if f.id.startswith("customfield_"):
            fields.pop(f.id, None)
            update.pop(f.id, None)
    if errors:
        raise ApiError(400, [], errors)
    return fields, update


# ---------------------------------------------------------------- properties


@router.add("GET", "/issue/{ident}/properties")
def property_keys(ctx: Ctx, ident: str) -> Response:
    issue = get_issue(ctx, ident)
    api = ctx.renderer().api
    return Response(
        200, {"keys": [{"key": k, "self": f"{api}/issue/{issue.id}/properties/{k}"} for k in issue.properties]}
    )


@router.add("GET", "/issue/{ident}/properties/{prop}")
def get_property(ctx: Ctx, ident: str, prop: str) -> Response:
    return property_get(get_issue(ctx, ident).properties, prop)


@router.add("PUT", "/issue/{ident}/properties/{prop}")
def put_property(ctx: Ctx, ident: str, prop: str) -> Response:
    return property_put(ctx, get_issue(ctx, ident).properties, prop)


@router.add("DELETE", "/issue/{ident}/properties/{prop}")
def delete_property(ctx: Ctx, ident: str, prop: str) -> Response:
    return property_delete(ctx, get_issue(ctx, ident).properties, prop)


# ---------------------------------------------------------------- changelog


@router.add("GET", "/issue/{ident}/changelog", cloud_only=True)
def changelog(ctx: Ctx, ident: str) -> Response:
    issue = get_issue(ctx, ident)
    start = max(0, ctx.q_int("startAt", 0))
    limit = max(1, min(ctx.q_int("maxResults", 100), 100))
    hs = issue.histories
    page = hs[start : start + limit]
    r = ctx.renderer()
    body = {
        "self": f"{r.api}/issue/{issue.key}/changelog?maxResults={limit}&startAt={start}",
        "maxResults": limit,
        "startAt": start,
        "total": len(hs),
        "isLast": start + limit >= len(hs),
        "values": [r.history(h) for h in page],
    }
    if not body["isLast"]:
        body["nextPage"] = f"{r.api}/issue/{issue.key}/changelog?maxResults={limit}&startAt={start + limit}"
    return Response(200, body)
