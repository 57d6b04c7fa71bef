"""The Jira client the sync uses, built on the ``jira`` package's ``JIRA`` session.

``JIRA`` gives us authentication (basic or bearer), its session, server info and the
plain calls (transitions, links, properties). We call its session directly where the
library lacks what we need, and say so at each place:

* search: the library hides response headers (we read Jira's clock from ``Date``) and
  its field-name translation costs an extra ``GET /field`` per process;
* create issue: ``create_issue`` cannot send ``properties`` or ``update`` (we create the
  issue, its source property and its link in one atomic request);
* add/edit comment: ``add_comment`` cannot attach our comment property;
* edit issue: ``Issue.update`` needs the issue fetched first.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from requests.exceptions import RequestException

from jirasync_cli.jira.adf import Body
from jirasync_cli.jira.errors import JiraApiError, JiraUnavailable, message_from_body
from jirasync_cli.jira.models import (
    COMMENT_PROPERTY,
    INTERNAL_PROPERTY,
    SEARCH_FIELDS,
    SOURCE_PROPERTY,
    CommentData,
    IssueData,
    internal_marker,
    parse_jira_time,
    user_identity,
)
from jirasync_cli.jira.pacing import Cancelled, SitePacer, pacer_for
from jirasync_cli.jira.transport import PacedAdapter, RequestCounter, ServerClock

if TYPE_CHECKING:
    from jirasync_cli.config import JiraConnection

log = logging.getLogger(__name__)

CLOUD_PAGE = 100  # /search/jql's cap when fields are requested
SERVER_PAGE = 500


@dataclass
class SearchResult:
    issues: list[IssueData]
    started_at: datetime  # Jira's clock when the search began (from the first page's Date)
    requests: int


@dataclass(frozen=True)
class Identity:
    id: str
    display_name: str
    time_zone: ZoneInfo


class JiraClient:
    def __init__(self, jira: Any, cfg: JiraConnection, pacer: SitePacer, clock: ServerClock, server_info: dict[str, Any],
                 requests: RequestCounter | None = None):
        self._jira = jira
        self.requests = requests or RequestCounter()  # every request sent, by kind (counted by the transport)
        self._session = jira._session
        self.cfg = cfg
        self.pacer = pacer
        self.clock = clock
        self.server_info = server_info
        self.is_cloud = server_info.get("deploymentType") == "Cloud"
        self.api_version = cfg.api_version or ("3" if self.is_cloud else "2")
        self.adf = self.api_version == "3"
        self.base = cfg.base_url
        me = self._lib("read account (myself)", None, jira.myself)
        self.me = Identity(user_identity(me), str(me.get("displayName", "")), _zone(me, server_info))
        self._transition_cache: dict[tuple[str, str, str, str], str] = {}
        self._project_types: dict[str, str] = {}
        self._project_roles: dict[str, frozenset[str]] = {}
        self._display_names: dict[str, str] = {}
        self._lookup_locks: dict[tuple[str, str, str, str], threading.Lock] = {}
        self._cache_lock = threading.Lock()

    # -- plumbing ---------------------------------------------------------------------
    def _url(self, path: str) -> str:
        return f"{self.base}/rest/api/{self.api_version}/{path}"

    def _call(self, method: str, path: str, *, key: str | None = None, operation: str = "", **kwargs: Any) -> Any:
        return _request(self._session, method, self._url(path), key=key, operation=operation or f"{method} {path}", **kwargs)

    def _lib(self, operation: str, key: str | None, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """A ``jira`` library call with our error mapping."""
        return _mapped(operation, key, fn, *args, **kwargs)

    def server_now(self) -> datetime:
        return datetime.fromtimestamp(self.clock.now(), UTC)

    # -- search -----------------------------------------------------------------------
    def search(self, jql: str, on_page: Callable[[int], None] | None = None) -> SearchResult:
        """All issues matching ``jql`` with the sync's fields, paging the way the deployment wants."""
        params: dict[str, Any] = {"jql": jql, "fields": ",".join(SEARCH_FIELDS), "properties": SOURCE_PROPERTY}
        raw: list[dict[str, Any]] = []
        requests = 0
        started: float | None = None
        if self.is_cloud:
            token: str | None = None
            seen_tokens: set[str] = set()
            while True:
                page = self._call("GET", "search/jql", operation="search",
                                  params={**params, "maxResults": CLOUD_PAGE, **({"nextPageToken": token} if token else {})})
                requests += 1
                started = started if started is not None else self.clock.last_seen()
                raw.extend(page.get("issues") or [])
                if on_page:
                    on_page(len(raw))
                token = page.get("nextPageToken")
                if page.get("isLast", not token) or not token:
                    break
                if token in seen_tokens:
                    raise JiraApiError(None, "search returned the same page token twice", operation="search")
                seen_tokens.add(token)
        else:
            start = 0
            while True:
                page = self._call("GET", "search", operation="search",
                                  params={**params, "startAt": start, "maxResults": SERVER_PAGE})
                requests += 1
                started = started if started is not None else self.clock.last_seen()
                issues = page.get("issues") or []
                raw.extend(issues)
                if on_page:
                    on_page(len(raw))
                start += len(issues)
                if not issues or start >= int(page.get("total", 0)):
                    break
        issues = [IssueData.from_json(item) for item in raw]
        for issue in issues:
            if not issue.comments_complete:
                issue.comments = self.comments(issue.key)
                issue.comment_total = len(issue.comments)
                requests += 1
        # The Date header has second precision and is stamped after the query ran.
        begun = datetime.fromtimestamp((started if started is not None else self.clock.now()) - 2, UTC)
        return SearchResult(issues, begun, requests)

    # -- reads ------------------------------------------------------------------------
    def get_issue(self, key: str) -> IssueData | None:
        try:
            raw = self._call("GET", f"issue/{key}", key=key, operation="get issue",
                             params={"fields": ",".join(SEARCH_FIELDS), "properties": SOURCE_PROPERTY})
        except JiraApiError as exc:
            if exc.status == 404:
                return None
            raise
        issue = IssueData.from_json(raw)
        if not issue.comments_complete:
            issue.comments = self.comments(key)
        return issue

    def status_at_creation(self, key: str) -> str | None:
        """The status ``key`` was created in, from its changelog (not its status now: people
        may have moved it already). ``expand=changelog`` works on Cloud and Server alike."""
        try:
            raw = self._call("GET", f"issue/{key}", key=key, operation="read changelog",
                             params={"fields": "status", "expand": "changelog"})
        except JiraApiError as exc:
            if exc.status == 404:
                return None
            raise
        histories = sorted((raw.get("changelog") or {}).get("histories") or [], key=lambda h: h.get("created", ""))
        for history in histories:
            for item in history.get("items") or []:
                if item.get("field") == "status":
                    return str(item.get("fromString") or "")
        return str(((raw.get("fields") or {}).get("status") or {}).get("name", "")) or None

    def comments(self, key: str, *, with_properties: bool = False) -> list[CommentData]:
        out: list[CommentData] = []
        start = 0
        while True:
            params: dict[str, Any] = {"startAt": start, "maxResults": 100, "orderBy": "created"}
            if with_properties:
                params["expand"] = "properties"
            page = self._call("GET", f"issue/{key}/comment", key=key, operation="list comments", params=params)
            batch = page.get("comments") or []
            out.extend(CommentData.from_json(raw) for raw in batch)
            start += len(batch)
            if not batch or start >= int(page.get("total", 0)):
                return out

    def find_comment_by_intent(self, key: str, intent_id: str, *, any_version: bool = False) -> str | None:
        """The id of the comment on ``key`` that intent ``intent_id`` wrote, if it exists.

        ``any_version``: also one written for an earlier acting on the same status change
        (intent ids differ only in the ``@version`` a lost state resets), so a state older
        than Jira never posts a rule's comment twice.
        """
        wanted = _versionless(intent_id) if any_version else intent_id
        for comment in self.comments(key, with_properties=True):
            marker = comment.properties.get(COMMENT_PROPERTY) or {}
            if not isinstance(marker, dict) or not isinstance(marker.get("intent"), str):
                continue
            if (_versionless(marker["intent"]) if any_version else marker["intent"]) == wanted:
                return comment.id
        return None

    def issue_property(self, key: str, prop: str) -> Any:
        try:
            raw = self._call("GET", f"issue/{key}/properties/{prop}", key=key, operation="read property")
        except JiraApiError as exc:
            if exc.status == 404:
                return None
            raise
        return (raw or {}).get("value")

    # -- writes -----------------------------------------------------------------------
    def set_issue_property(self, key: str, prop: str, value: Any) -> None:
        self._call("PUT", f"issue/{key}/properties/{prop}", key=key, operation="set property", json=value)

    def create_issue(
        self,
        project: str,
        issuetype: str,
        fields: dict[str, Any],
        *,
        source: dict[str, Any],
        link_to: str | None = None,
        source_key: str | None = None,
    ) -> str:
        """Create an issue carrying ``source`` as its ``jirasync.source`` property.

        With ``link_to``, the link to that issue is created in the same request, so the
        issue is findable from its partner even if we crash before recording its key.
        """
        payload: dict[str, Any] = {
            "fields": {"project": {"key": project}, "issuetype": {"name": issuetype}, **_field_values(fields)},
            "properties": [{"key": SOURCE_PROPERTY, "value": source}],
        }
        if link_to:
            payload["update"] = {"issuelinks": [{"add": {"type": {"name": self.cfg.link_type}, "outwardIssue": {"key": link_to}}}]}
        created = self._call("POST", "issue", key=source_key, operation="create issue", json=payload)
        return str(created["key"])

    def edit_issue(self, key: str, fields: dict[str, Any]) -> None:
        self._call("PUT", f"issue/{key}", key=key, operation="edit issue", json={"fields": _field_values(fields)})

    def add_comment(self, key: str, body: Body, intent_id: str, *, internal: bool = False,
                    visibility: dict[str, str] | None = None) -> str:
        """Comment carrying our intent marker; ``internal`` makes it a JSM internal note
        (the ``sd.public.comment`` property, set in the same request so the comment is never
        public, not even for a moment), ``visibility`` restricts it to a role or group."""
        properties = [{"key": COMMENT_PROPERTY, "value": {"intent": intent_id}}]
        if internal:
            properties.append({"key": INTERNAL_PROPERTY, "value": {"internal": True}})
        payload: dict[str, Any] = {"body": body, "properties": properties}
        if visibility:
            payload["visibility"] = dict(visibility)
        created = self._call("POST", f"issue/{key}/comment", key=key, operation="add comment", json=payload)
        return str(created["id"])

    def edit_comment(self, key: str, comment_id: str, body: Body, *, internal: bool | None = None,
                     visibility: dict[str, str] | None = None) -> None:
        """Replace a comment's body; with ``internal`` given, also its internal flag and
        restriction (the flag first: a copy is narrowed before its new text is written)."""
        if internal is not None:
            self._call("PUT", f"comment/{comment_id}/properties/{INTERNAL_PROPERTY}", key=key,
                       operation="set comment visibility", json={"internal": internal})
        payload: dict[str, Any] = {"body": body}
        if internal is not None and visibility:
            payload["visibility"] = dict(visibility)
        self._call("PUT", f"issue/{key}/comment/{comment_id}", key=key, operation="edit comment", json=payload)

    def delete_comment(self, key: str, comment_id: str) -> bool:
        """Delete a comment; False if it was gone already."""
        try:
            self._call("DELETE", f"issue/{key}/comment/{comment_id}", key=key, operation="delete comment")
        except JiraApiError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def comment_internal(self, key: str, comment_id: str) -> bool:
        """Whether a comment is a JSM internal note, from its ``sd.public.comment`` property
        (Data Center's comments carry no ``jsdPublic``)."""
        try:
            raw = self._call("GET", f"comment/{comment_id}/properties/{INTERNAL_PROPERTY}", key=key,
                             operation="read comment visibility")
        except JiraApiError as exc:
            if exc.status == 404:
                return False
            raise
        return internal_marker((raw or {}).get("value"))

    def project_type(self, project: str) -> str:
        """``service_desk``, ``software``, ``business``; read once per process."""
        if project not in self._project_types:
            raw = self._call("GET", f"project/{project}", key=project, operation="read project")
            self._project_types[project] = str((raw or {}).get("projectTypeKey") or "")
        return self._project_types[project]

    def project_roles(self, project: str) -> frozenset[str]:
        """Names of the roles a project has; read once per process."""
        if project not in self._project_roles:
            raw = self._call("GET", f"project/{project}/role", key=project, operation="read project roles")
            self._project_roles[project] = frozenset(raw or {})
        return self._project_roles[project]

    def display_name(self, ident: str) -> str:
        """A user's display name from an account id (Cloud) or login/key (Server); cached.
        Falls back to "someone": a name is never worth failing a comment for."""
        if ident not in self._display_names:
            params = {"accountId": ident} if self.is_cloud else (
                {"key": ident} if ident.startswith("JIRAUSER") else {"username": ident})
            try:
                raw = self._call("GET", "user", operation="read user", params=params)
                name = str((raw or {}).get("displayName") or "someone")
            except JiraApiError:
                name = "someone"
            self._display_names[ident] = name
        return self._display_names[ident]

    def link(self, inward_key: str, outward_key: str) -> None:
        self._lib("link issues", inward_key, self._jira.create_issue_link,
                  self.cfg.link_type, inward_key, outward_key)

    def transition_to(self, key: str, target: str, *, project: str, issuetype: str, current: str | None) -> bool:
        """Move ``key`` to status ``target``; False if it is already there.

        The transition id is cached per (project, type, from, to): a status sync is then
        one request. A stale cache entry (workflow changed, status guessed wrong) costs one
        lookup and a retry.
        """
        if current is not None and current.casefold() == target.casefold():
            return False
        if current is None:
            return self._transition_by_lookup(key, target)
        cache_key = (project, issuetype, current.casefold(), target.casefold())
        if self._transition_cache.get(cache_key) is None:
            with self._lookup_lock(cache_key):  # parallel misses: one lookup, the rest use its result
                if self._transition_cache.get(cache_key) is None:
                    return self._transition_by_lookup(key, target, cache_key)
        try:
            self._lib("transition", key, self._jira.transition_issue, key, self._transition_cache[cache_key])
            return True
        except JiraApiError as exc:
            if exc.status != 400:
                raise
        return self._transition_by_lookup(key, target, cache_key)  # workflow changed: look again

    def _lookup_lock(self, cache_key: tuple[str, str, str, str]) -> threading.Lock:
        with self._cache_lock:
            return self._lookup_locks.setdefault(cache_key, threading.Lock())

    def _transition_by_lookup(self, key: str, target: str, cache_key: tuple[str, str, str, str] | None = None) -> bool:
        options = self._lib("list transitions", key, self._jira.transitions, key)
        for option in options:
            to = (option.get("to") or {}).get("name", "")
            if to.casefold() == target.casefold():
                self._lib("transition", key, self._jira.transition_issue, key, str(option["id"]))
                if cache_key is not None:
                    with self._cache_lock:
                        self._transition_cache[cache_key] = str(option["id"])
                return True
        reachable = ", ".join(sorted({(o.get("to") or {}).get("name", "?") for o in options})) or "none"
        raise JiraApiError(
            400, f"no transition reaches status {target!r} (reachable: {reachable})", key, "transition"
        )

    def current_status(self, key: str) -> str | None:
        issue = self.get_issue(key)
        return issue.status if issue else None

    def close(self) -> None:
        self._jira.close()


def _versionless(intent_id: str) -> str:
    """``comment:USER-1@3:Will Do:rule:USER-1`` → ``comment:USER-1:Will Do:rule:USER-1``."""
    return re.sub(r"@\d+:", ":", intent_id, count=1)


def _mapped(operation: str, key: str | None, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call ``fn``; the library's and the transport's errors become :class:`JiraApiError`."""
    from jira.exceptions import JIRAError

    try:
        return fn(*args, **kwargs)
    except JIRAError as exc:
        raise _api_error(exc, key, operation) from None
    except Cancelled:
        raise
    except RequestException as exc:
        raise JiraUnavailable(None, type(exc).__name__, key, operation) from None


def _request(session: Any, method: str, url: str, *, key: str | None, operation: str, **kwargs: Any) -> Any:
    """One request through the ``jira`` session; errors become :class:`JiraApiError`."""
    if "json" in kwargs:
        kwargs["data"] = json.dumps(kwargs.pop("json"))
        kwargs.setdefault("headers", {})["Content-Type"] = "application/json"
    response = _mapped(operation, key, session.request, method, url, **kwargs)
    if response.status_code == 204 or not response.content:
        return None
    return response.json()


def _field_values(fields: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in fields.items():
        if name == "priority":
            out[name] = {"name": value} if value else None
        elif name == "labels":
            out[name] = list(value or [])
        else:
            out[name] = value
    return out


def _api_error(exc: Any, key: str | None, operation: str) -> JiraApiError:
    response = getattr(exc, "response", None)
    status = getattr(exc, "status_code", None)
    fallback = getattr(exc, "text", None) or "error"
    body: Any = None
    if response is not None:
        try:
            body = response.json()
        except ValueError:
            body = None
    message = message_from_body(body, str(fallback)[:200])
    cls = JiraUnavailable if status is None or status >= 500 else JiraApiError
    return cls(status, message, key, operation)


def _zone(me: dict[str, Any], server_info: dict[str, Any]) -> ZoneInfo:
    """The account's time zone: JQL date literals are read in it."""
    name = me.get("timeZone")
    if name:
        try:
            return ZoneInfo(str(name))
        except (ZoneInfoNotFoundError, ValueError):
            log.warning("unknown account time zone, falling back to the server's offset", extra={"timeZone": name})
    server_time = server_info.get("serverTime")
    if server_time:
        offset = parse_jira_time(str(server_time)).utcoffset() or timedelta(0)
        minutes = int(offset.total_seconds() // 60)
        if minutes == 0:
            return ZoneInfo("UTC")
        # Etc/GMT zones have inverted signs and whole hours only.
        if minutes % 60 == 0:
            return ZoneInfo(f"Etc/GMT{-minutes // 60:+d}")
    return ZoneInfo("UTC")


def connect(
    cfg: JiraConnection,
    *,
    cancel: threading.Event | None = None,
    pool_size: int = 16,
) -> JiraClient:
    """Authenticate, detect Cloud vs Server/DC from serverInfo, and learn who we are."""
    from jira import JIRA

    token = cfg.api_token.get_secret_value()
    auth: dict[str, Any] = (
        {"basic_auth": (cfg.email or "", token)} if cfg.auth_type == "basic" else {"token_auth": token}
    )
    pacer = pacer_for(cfg.base_url, cfg.max_requests_per_second, cancel,
                      ceiling=getattr(cfg, "max_requests_per_second_ceiling", None))
    clock = ServerClock()
    try:
        # get_server_info=False only to mount the paced adapter first; we then fetch
        # serverInfo ourselves and set deploymentType exactly as the constructor would.
        jira = JIRA(
            server=cfg.base_url,
            get_server_info=False,
            max_retries=0,
            timeout=cfg.timeout_seconds,
            options={"rest_api_version": "2", "check_update": False},
            **auth,
        )
    except RequestException as exc:
        raise JiraUnavailable(None, type(exc).__name__, None, "connect to Jira") from None
    adapter = PacedAdapter(pacer, clock, pool_size=pool_size)
    jira._session.mount("https://", adapter)
    jira._session.mount("http://", adapter)
    info = _request(jira._session, "GET", f"{cfg.base_url}/rest/api/2/serverInfo", key=None, operation="connect to Jira")
    jira.deploymentType = info.get("deploymentType")
    if jira.deploymentType != "Cloud" and getattr(cfg, "max_requests_per_second_ceiling", None) is None:
        pacer.hold()  # Data Center sends no early warning (NearLimit): rise only to a ceiling set on purpose
    jira._version = tuple(info.get("versionNumbers") or (0, 0, 0))
    # The library builds every URL from this option; v3 on Cloud (ADF bodies), v2 on Server.
    jira._options["rest_api_version"] = cfg.api_version or ("3" if jira.deploymentType == "Cloud" else "2")
    return JiraClient(jira, cfg, pacer, clock, info, adapter.requests)
