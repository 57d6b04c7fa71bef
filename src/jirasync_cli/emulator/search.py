"""Running a compiled JQL query and paging through the result.

Cloud's ``nextPageToken`` is a keyset cursor: it carries the sort key of the last issue
returned (ordering always ends with the issue id, so it is total). The next page starts
strictly after it, so an issue is never returned twice or skipped because others were created
or deleted meanwhile, however many issues share one ``updated`` minute.
"""

from __future__ import annotations

import base64
import hashlib
import json
from bisect import bisect_right
from typing import Any

from .errors import ApiError
from .jql import JqlError
from .jql_eval import Compiled, Env, compile_query
from .model import Issue


def compile_or_400(jql: str, env: Env) -> Compiled:
    try:
        return compile_query(jql, env)
    except JqlError as exc:
        raise ApiError(400, [exc.message]) from None


def matching(env: Env, compiled: Compiled) -> list[tuple[tuple[Any, ...], Issue]]:
    pred = compiled.predicate
    issues = env.state.issues.values()
    hits = issues if pred is None else [i for i in issues if pred(i)]
    key = compiled.sort_key
    keyed = [(key(i), i) for i in hits]
    keyed.sort(key=lambda p: p[0])
    return keyed


CACHE_SIZE = 32


def run_query(env: Env, jql: str) -> tuple[Compiled, list[tuple[tuple[Any, ...], Issue]]]:
    """Compile and run ``jql``; reuses the result while the state is unchanged (queries with
    relative dates or now() are never cached: their meaning moves with the clock)."""
    st = env.state
    ck = (jql, env.tz, env.account.name, env.cloud)
    hit = st.search_cache.get(ck)
    if hit is not None and hit[0] == st.revision:
        st.search_cache.move_to_end(ck)
        return hit[1], hit[2]
    compiled = compile_or_400(jql, env)
    keyed = matching(env, compiled)
    if not compiled.uses_now:
        st.search_cache[ck] = (st.revision, compiled, keyed)
        while len(st.search_cache) > CACHE_SIZE:
            st.search_cache.popitem(last=False)
    return compiled, keyed


def _fingerprint(jql: str) -> str:
    return hashlib.sha1((jql or "").strip().encode("utf-8")).hexdigest()[:12]


def _to_json(v: Any) -> Any:
    return [_to_json(x) for x in v] if isinstance(v, tuple) else v


def _to_tuple(v: Any) -> Any:
    return tuple(_to_tuple(x) for x in v) if isinstance(v, list) else v


def make_token(jql: str, key: tuple[Any, ...]) -> str:
    raw = json.dumps({"q": _fingerprint(jql), "k": _to_json(key)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode("utf-8")).decode("ascii").rstrip("=")


def read_token(jql: str, token: str) -> tuple[Any, ...]:
    try:
        pad = "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(token + pad))
        if data["q"] != _fingerprint(jql):
            raise ValueError("token belongs to another query")
        key: tuple[Any, ...] = _to_tuple(data["k"])
        return key
    except (ValueError, KeyError, TypeError):
        raise ApiError(400, ["The provided next page token is invalid or expired."]) from None


def page_after(
    keyed: list[tuple[tuple[Any, ...], Issue]], cursor: tuple[Any, ...] | None, limit: int
) -> tuple[list[Issue], tuple[Any, ...] | None]:
    """One page after ``cursor``; returns (issues, cursor for the next page or None if last)."""
    start = 0
    if cursor is not None:
        try:
            start = bisect_right(keyed, cursor, key=lambda p: p[0])
        except TypeError:  # a token from a differently shaped sort
            raise ApiError(400, ["The provided next page token is invalid or expired."]) from None
    chunk = keyed[start : start + limit]
    more = start + limit < len(keyed)
    return [i for _, i in chunk], (chunk[-1][0] if more and chunk else None)
