"""Search. Cloud: ``/search/jql`` with nextPageToken (the old ``/search`` is gone: 410).
Server/DC: ``/search`` with startAt/maxResults/total."""

from __future__ import annotations

from typing import Any

from . import catalog
from .errors import ApiError
from .jql_eval import Env
from .model import Issue
from .render import select_fields
from .router import Ctx, Response, router
from .search import compile_or_400, make_token, page_after, read_token, run_query

GONE = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"
)


def _env(ctx: Ctx) -> Env:
    return Env(ctx.state, ctx.emu.accounts, ctx.account, ctx.tz, ctx.now_ms, ctx.cloud)


def _params(ctx: Ctx) -> dict[str, Any]:
    """GET query parameters or POST body, normalized to lists/strings."""
    if ctx.body is None or not isinstance(ctx.body, dict):

        def lst(name: str) -> list[str]:
            return ctx.query.get(name, [])

        return {
            "jql": ctx.q("jql", ""),
            "fields": lst("fields"),
            "expand": lst("expand"),
            "properties": lst("properties"),
            "nextPageToken": ctx.q("nextPageToken"),
            "maxResults": ctx.q("maxResults"),
            "startAt": ctx.q("startAt"),
            "reconcileIssues": [t for v in lst("reconcileIssues") for t in v.split(",") if t.strip()],
        }
    b = ctx.body

    def as_list(v: Any) -> list[str]:
        if v is None:
            return []
        return [v] if isinstance(v, str) else [str(x) for x in v]

    return {
        "jql": b.get("jql") or "",
        "fields": as_list(b.get("fields")),
        "expand": as_list(b.get("expand")),
        "properties": as_list(b.get("properties")),
        "nextPageToken": b.get("nextPageToken"),
        "maxResults": b.get("maxResults"),
        "startAt": b.get("startAt"),
        "reconcileIssues": as_list(b.get("reconcileIssues")),
    }


def _int(value: Any, name: str, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ApiError(400, [f"The '{name}' parameter must be a number."]) from None


def _render(ctx: Ctx, issues: list[Issue], p: dict[str, Any], default_fields: str) -> list[dict[str, Any]]:
    fields = select_fields(p["fields"], default_fields, ctx.cloud)
    if fields is None:
        if ctx.cloud:  # Cloud's default: ids only
            return [{"id": str(i.id)} for i in issues]
        fields = set()
    # names/schema belong to the whole result in a search, not to each issue
    expand = {t.strip() for v in p["expand"] for t in v.split(",") if t.strip()} - {"names", "schema"}
    r = ctx.renderer()
    # Data Center's search ignores properties= (only GET issue/{key} and the property
    # resource return them); Cloud's honours it.
    props = (p["properties"] or None) if ctx.emu.search_properties else None
    limit = ctx.emu.search_comment_limit
    return [r.issue(i, fields, expand=expand, properties=props, comment_limit=limit) for i in issues]


def _result_meta(ctx: Ctx, body: dict[str, Any], p: dict[str, Any], default_fields: str) -> None:
    expand = {t.strip() for v in p["expand"] for t in v.split(",") if t.strip()}
    fields = select_fields(p["fields"], default_fields, ctx.cloud) or set()
    ordered = [f for f in catalog.ISSUE_FIELD_IDS if f in fields]
    if "names" in expand:
        body["names"] = {f: catalog.FIELD_NAMES[f] for f in ordered}
    if "schema" in expand:
        body["schema"] = {f: catalog.FIELD_SCHEMAS[f] for f in ordered if f in catalog.FIELD_SCHEMAS}


def _search_jql(ctx: Ctx) -> Response:
    p = _params(ctx)
    env = _env(ctx)
    compiled, keyed = run_query(env, p["jql"])
    if compiled.predicate is None:
        raise ApiError(
            400, ["Unbounded JQL queries are not allowed here. Please add a search restriction to your query."]
        )
    ids_only = not select_fields(p["fields"], "id", True)  # None (ids) or nothing but id/key
    limit = _int(p["maxResults"], "maxResults", 50)
    limit = max(1, min(limit, 5000 if ids_only else 100))
    token = p["nextPageToken"]
    cursor = read_token(p["jql"], token) if token else None
    keyed = _indexed(ctx, keyed, _reconcile_ids(p["reconcileIssues"]))
    issues, next_cursor = page_after(keyed, cursor, limit)
    body: dict[str, Any] = {"issues": _render(ctx, issues, p, "id")}
    if next_cursor is not None:
        body["nextPageToken"] = make_token(p["jql"], next_cursor)
    body["isLast"] = next_cursor is None
    _result_meta(ctx, body, p, "id")
    ctx.emu._search_page_served()
    return Response(200, body)


RECONCILE_LIMIT = 50  # "Accepts max 50 ids." (the /search/jql reference)


def _reconcile_ids(raw: list[Any]) -> set[int]:
    try:
        ids = {int(v) for v in raw}
    except (TypeError, ValueError):
        raise ApiError(400, ["The 'reconcileIssues' parameter must be a list of issue ids."]) from None
    if len(ids) > RECONCILE_LIMIT:
        raise ApiError(400, [f"The 'reconcileIssues' parameter accepts at most {RECONCILE_LIMIT} issue ids."])
    return ids


def _indexed(ctx: Ctx, keyed: list[Any], reconcile: set[int]) -> list[Any]:
    """Cloud's search index is eventually consistent: an issue written less than
    ``index_lag_seconds`` ago is not found yet, unless its id is in ``reconcileIssues``."""
    lag_ms = int(ctx.emu.index_lag_seconds * 1000)
    if lag_ms <= 0:
        return keyed
    horizon = ctx.now_ms - lag_ms
    return [(k, i) for k, i in keyed if i.updated <= horizon or i.id in reconcile]


@router.add("GET", "/search/jql", cloud_only=True)
def search_jql_get(ctx: Ctx) -> Response:
    return _search_jql(ctx)


@router.add("POST", "/search/jql", write=False, cloud_only=True)
def search_jql_post(ctx: Ctx) -> Response:
    ctx.json_body()
    return _search_jql(ctx)


@router.add("POST", "/search/approximate-count", write=False, cloud_only=True)
def approximate_count(ctx: Ctx) -> Response:
    body = ctx.json_body()
    env = _env(ctx)
    compiled = compile_or_400(body.get("jql") or "", env)
    if compiled.predicate is None:
        raise ApiError(
            400, ["Unbounded JQL queries are not allowed here. Please add a search restriction to your query."]
        )
    return Response(200, {"count": sum(1 for i in ctx.state.issues.values() if compiled.predicate(i))})


@router.add("GET", "/search", cloud_only=True)
@router.add("POST", "/search", write=False, cloud_only=True)
def search_gone(ctx: Ctx) -> Response:
    raise ApiError(410, [GONE])


def _search_offset(ctx: Ctx) -> Response:
    p = _params(ctx)
    env = _env(ctx)
    _compiled, keyed = run_query(env, p["jql"])
    start = max(0, _int(p["startAt"], "startAt", 0))
    limit = _int(p["maxResults"], "maxResults", 50)
    limit = max(0, min(limit, 1000))
    window = ctx.emu.max_result_window
    if start + limit > window:
        # Data Center's text (support KB "Handling JQL REST API searching exceeding
        # max_result_window"), answered as a server error, as Jira does.
        raise ApiError(500, [SEARCH_LIMIT.format(wanted=start + limit, window=window)])
    page = [i for _, i in keyed[start : start + limit]]
    body = {
        "expand": "schema,names",
        "startAt": start,
        "maxResults": limit,
        "total": len(keyed),
        "issues": _render(ctx, page, p, "*navigable"),
    }
    _result_meta(ctx, body, p, "*navigable")
    ctx.emu._search_page_served()
    return Response(200, body)


SEARCH_LIMIT = (
    "Search limit exceeded. We couldn't complete your search because it requests {wanted:,} results "
    "which exceeded the search platform limit of {window:,}. Try refining your query or contact "
    "your Jira administrator. Repeating the same search may not work."
)


@router.add("GET", "/search", server_only=True)
def search_server_get(ctx: Ctx) -> Response:
    return _search_offset(ctx)


@router.add("POST", "/search", write=False, server_only=True)
def search_server_post(ctx: Ctx) -> Response:
    ctx.json_body()
    return _search_offset(ctx)
