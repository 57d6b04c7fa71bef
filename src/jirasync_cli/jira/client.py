"""The Jira client the sync uses, built on the ``jira`` package's ``JIRA`` session.

``JIRA`` gives us authentication (basic or bearer), its session, server info and the
plain calls (transitions, links, properties). We call its session directly where the
library lacks what we need, and say so at each place:

* search: the library hides response headers (we read Jira's clock from ``Date``) and
  its field-name translation costs an extra ``GET /field`` per process;
* create issue: ``create_issue`` cannot send ``properties`` or ``update`` (we create the
  issue, its source property and, where the create screen has *Linked Issues*, its link in
  one atomic request);
* link issues: ``create_issue_link`` first lists every link type (one more request) and
  warns when the name matches none; we post to ``issueLink`` directly;
* add/edit comment: ``add_comment`` cannot attach our comment property;
* edit issue: ``Issue.update`` needs the issue fetched first.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from requests.exceptions import RequestException

from jirasync_cli.jira.adf import Body
from jirasync_cli.jira.errors import (
    JiraApiError,
    JiraUnavailable,
    field_errors_of,
    message_from_body,
)
from jirasync_cli.jira.jql import jql_datetime, quote, search_window, split_order
from jirasync_cli.jira.models import (
    COMMENT_PROPERTY,
    INTERNAL_PROPERTY,
    SEARCH_FIELDS,
    SOURCE_PROPERTY,
    CommentData,
    IssueData,
    internal_marker,
    parse_jira_time,
    person_of,
    user_identity,
)
from jirasync_cli.jira.pacing import Cancelled, SitePacer, pacer_for
from jirasync_cli.jira.transitions import (
    TransitionBlocked,
    TransitionPlan,
    transition_plan,
)
from jirasync_cli.jira.transport import PacedAdapter, RequestCounter, ServerClock

if TYPE_CHECKING:
    from jirasync_cli.config import JiraSite

log = logging.getLogger(__name__)

CLOUD_PAGE = 100  # /search/jql's cap when fields are requested
SERVER_PAGE = 500
SERVER_RESULT_WINDOW = 10_000  # Data Center's jira.search.platform.max.result.window default
RECONCILE_LIMIT = 50  # /search/jql reconcileIssues: "Accepts max 50 ids."
MAX_GET_JQL = 2000  # longer queries go by POST: URLs beyond ~8 KB are refused before Jira sees them
COMMENT_LIST_LIMIT = 1000  # POST comment/list: "A maximum of 1000 IDs can be specified."
MAX_SHIFTS = 50  # steps back while paging before giving up on a result set that keeps moving
BLOCKED_RECHECK_SECONDS = 600  # a transition blocked by its screen is looked at again after this


@dataclass
class CreateScreen:
    """The fields the create screen of one project and issue type offers.

    ``fields`` is None when the site cannot tell (no per-issue-type createmeta before Jira
    8.4): then everything is sent and Jira's 400 names what it refuses. Fields Jira refused
    although the metadata listed them are remembered in ``refused`` for the process."""

    project: str
    issuetype: str
    fields: frozenset[str] | None
    required: frozenset[str] = frozenset()
    refused: set[str] = field(default_factory=set)
    _reported: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def allows(self, name: str) -> bool:
        return (self.fields is None or name in self.fields) and name not in self.refused

    def refuse(self, names: set[str]) -> None:
        with self._lock:
            self.refused |= names

    def first_report(self) -> bool:
        """True once per screen and process: say what it leaves out once, not every cycle."""
        with self._lock:
            first, self._reported = not self._reported, True
            return first


@dataclass
class SearchResult:
    issues: list[IssueData]
    started_at: datetime  # Jira's clock when the search began (from the first page's Date)
    requests: int


class SearchPages:
    """One search's issues, page by page (iterate once). ``started_at`` (Jira's clock when
    the search began) and ``requests`` are known once the first page has been read."""

    def __init__(self, client: JiraClient, raw: Iterator[list[dict[str, Any]]], tally: _Tally) -> None:
        self._client, self._raw, self._tally = client, raw, tally

    def __iter__(self) -> Iterator[list[IssueData]]:
        for raw in self._raw:
            yield self._client._complete(raw, self._tally)

    @property
    def requests(self) -> int:
        return self._tally.requests

    @property
    def started_at(self) -> datetime:
        # The Date header has second precision and is stamped after the query ran.
        started = self._tally.started
        return datetime.fromtimestamp((started if started is not None else self._client.clock.now()) - 2, UTC)


@dataclass
class _Tally:
    """Requests one search made, and Jira's clock at its first page."""

    requests: int = 0
    started: float | None = None


@dataclass(frozen=True)
class Identity:
    id: str
    display_name: str
    time_zone: ZoneInfo


class JiraClient:
    def __init__(
        self,
        jira: Any,
        cfg: JiraSite,
        pacer: SitePacer,
        clock: ServerClock,
        server_info: dict[str, Any],
        requests: RequestCounter | None = None,
    ):
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
        self._transition_cache: dict[tuple[str, ...], TransitionPlan] = {}
        self._status_names: dict[str, str] = {}  # status id -> name, learnt from transitions
        self._lookup_locks: dict[tuple[str, ...], threading.Lock] = {}
        self._project_types: dict[str, str] = {}
        self._project_roles: dict[str, frozenset[str]] = {}
        self._display_names: dict[str, str] = {}
        self._people: dict[str, list[dict[str, str]]] = {}
        self._cache_lock = threading.Lock()
        self.server_page_size = SERVER_PAGE
        self.result_window = SERVER_RESULT_WINDOW
        self._screens: dict[tuple[str, str], CreateScreen] = {}
        self._screen_lock = threading.Lock()

    # -- plumbing ---------------------------------------------------------------------
    def _url(self, path: str) -> str:
        return f"{self.base}/rest/api/{self.api_version}/{path}"

    def _call(self, method: str, path: str, *, key: str | None = None, operation: str = "", **kwargs: Any) -> Any:
        return _request(
            self._session, method, self._url(path), key=key, operation=operation or f"{method} {path}", **kwargs
        )

    def _lib(self, operation: str, key: str | None, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """A ``jira`` library call with our error mapping."""
        return _mapped(operation, key, fn, *args, **kwargs)

    def server_now(self) -> datetime:
        return datetime.fromtimestamp(self.clock.now(), UTC)

    def for_key(self, key: str) -> JiraClient:
        """The client of the site ``key`` is on: this one (a cross-site pair has two)."""
        return self

    def for_project(self, project: str) -> JiraClient:
        return self

    # -- search -----------------------------------------------------------------------
    def search(
        self, jql: str, on_page: Callable[[int], None] | None = None, *, reconcile_ids: Iterable[str] = ()
    ) -> SearchResult:
        """All issues matching ``jql`` with the sync's fields, paging the way the deployment wants.

        ``reconcile_ids``: ids of issues we wrote recently; Cloud's search, which shows recent
        writes late, is asked to reconcile them (at most 50) so they are found at once.
        """
        pages = self.search_pages(jql, on_page, reconcile_ids=reconcile_ids)
        issues = [issue for page in pages for issue in page]
        return SearchResult(issues, pages.started_at, pages.requests)

    def search_pages(
        self, jql: str, on_page: Callable[[int], None] | None = None, *, reconcile_ids: Iterable[str] = ()
    ) -> SearchPages:
        """The same search, a page at a time as Jira returns them: memory stays bounded by
        one page however many issues match."""
        params: dict[str, Any] = {"jql": jql, "fields": ",".join(SEARCH_FIELDS), "properties": SOURCE_PROPERTY}
        tally = _Tally()
        if self.is_cloud:
            ids = [
                int(i) for i in list(dict.fromkeys(str(i) for i in reconcile_ids if str(i).isdigit()))[:RECONCILE_LIMIT]
            ]
            raw = self._search_cloud(tally, params, ids, on_page)
        else:
            raw = self._search_server(tally, params, on_page)
        return SearchPages(self, raw, tally)

    def _complete(self, raw: list[dict[str, Any]], tally: _Tally) -> list[IssueData]:
        issues = [IssueData.from_json(item) for item in raw]
        for issue in issues:
            if not issue.comments_complete:
                issue.comments = self.comments(issue.key)
                issue.comment_total = len(issue.comments)
                tally.requests += 1
        return issues

    def _search_page(self, tally: _Tally, path: str, params: dict[str, Any]) -> dict[str, Any]:
        """One page; by POST when the query would make the URL too long for Jira's web server."""
        if len(params["jql"]) > MAX_GET_JQL:
            body = {**params, "fields": params["fields"].split(",")}
            if self.is_cloud:
                body["properties"] = [params["properties"]]
            else:  # Data Center's search bean knows no properties (and rejects unknown keys)
                body.pop("properties", None)
            page = self._call("POST", path, operation="search", json=body)
        else:
            page = self._call("GET", path, operation="search", params=params)
        tally.requests += 1
        if tally.started is None:
            tally.started = self.clock.last_seen()
        return page or {}

    def _search_cloud(
        self, tally: _Tally, params: dict[str, Any], reconcile: list[int], on_page: Callable[[int], None] | None
    ) -> Iterator[list[dict[str, Any]]]:
        """``/search/jql``: keyset pages by ``nextPageToken``, nothing skipped or repeated."""
        token: str | None = None
        seen_tokens: set[str] = set()
        count = 0
        while True:
            query = {**params, "maxResults": CLOUD_PAGE, **({"nextPageToken": token} if token else {})}
            if reconcile:  # the same ids on every page, as the reference asks
                query["reconcileIssues"] = reconcile
            page = self._search_page(tally, "search/jql", query)
            issues = page.get("issues") or []
            count += len(issues)
            if on_page:
                on_page(count)
            if issues:
                yield issues
            token = page.get("nextPageToken")
            if page.get("isLast", not token) or not token:
                return
            if token in seen_tokens:
                raise JiraApiError(None, "search returned the same page token twice", operation="search")
            seen_tokens.add(token)

    def _search_server(
        self, tally: _Tally, params: dict[str, Any], on_page: Callable[[int], None] | None
    ) -> Iterator[list[dict[str, Any]]]:
        """``/search`` with ``startAt``, made safe for results that change while we page.

        Offset paging skips an issue when one before it leaves the result set between two
        pages, and Data Center refuses pages past its result window (10,000 by default).
        So each page after the first starts one issue early: it must begin with an issue
        we already have (the order, ``created`` then ``key``, never changes for an issue),
        else issues before it left the results and we step back until the pages join up.
        Near the window, the query is narrowed to issues created from the minute of the
        last one we have, and paging starts again at 0 (what we have twice is dropped).
        Only the keys of the issues passed on are kept, not the issues.
        """
        jql = params["jql"]
        where, order = split_order(jql)
        narrowable = order.replace(" ", "").lower().startswith("createdasc")
        seen: set[str] = set()
        last: dict[str, Any] | None = None  # the newest issue passed on (narrowing starts from it)
        query, start, anchored, floor = jql, 0, False, None
        shifts = 0
        while True:
            size = max(2, min(self.server_page_size, self.result_window - start))
            if start + size > self.result_window:
                query, floor = self._narrowed(where, order, last, floor, narrowable)
                start, anchored = 0, False
                continue
            try:
                page = self._search_page(
                    tally, "search", {**params, "jql": query, "startAt": start, "maxResults": size}
                )
            except JiraApiError as exc:
                window = search_window(exc)
                if window is None or window >= self.result_window:
                    raise
                self.result_window = window  # the site's window is smaller than we assumed
                continue
            issues = page.get("issues") or []
            if anchored and (not issues or str(issues[0].get("key")) not in seen):
                shifts += 1  # issues before our position left the results: step back
                if shifts > MAX_SHIFTS:
                    raise JiraApiError(None, "search results kept shifting while paging", operation="search")
                start = max(0, start - size + 1)
                anchored = start > 0
                continue
            new = []
            for item in issues:
                key = str(item.get("key"))
                if key not in seen:
                    seen.add(key)
                    new.append(item)
            if issues:
                last = issues[-1]
            if on_page:
                on_page(len(seen))
            if new:
                yield new
            end = start + len(issues)
            if not issues or end >= int(page.get("total", 0)):
                return
            start, anchored = end - 1, True  # the next page starts on the last issue we have

    def _narrowed(
        self, where: str, order: str, last: dict[str, Any] | None, floor: str | None, narrowable: bool
    ) -> tuple[str, str]:
        """The query restricted to issues created from the minute of the newest one we have."""
        created = ((last or {}).get("fields") or {}).get("created")
        if not narrowable or not created:
            raise JiraApiError(
                None, f"search has more than {self.result_window} results and cannot be narrowed", operation="search"
            )
        minute = jql_datetime(parse_jira_time(str(created)), self.me.time_zone)
        if minute == floor:
            raise JiraApiError(
                None,
                f"more than {self.result_window} issues were created in the minute "
                f"{minute}; the search cannot page past them",
                operation="search",
            )
        return f"({where}) AND created >= {quote(minute)} ORDER BY {order}", minute

    # -- reads ------------------------------------------------------------------------
    def get_issue(self, key: str) -> IssueData | None:
        try:
            raw = self._call(
                "GET",
                f"issue/{key}",
                key=key,
                operation="get issue",
                params={"fields": ",".join(SEARCH_FIELDS), "properties": SOURCE_PROPERTY},
            )
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
            raw = self._call(
                "GET",
                f"issue/{key}",
                key=key,
                operation="read changelog",
                params={"fields": "status", "expand": "changelog"},
            )
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

        Only comments by our own account can carry our marker. Their properties come by the
        documented ways: ``POST comment/list?expand=properties`` on Cloud (the issue's comment
        list does not document ``expand=properties`` there), the comment's property
        resource on Data Center, newest comment first.
        """
        own = [c.id for c in self.comments(key) if c.author_id == self.me.id][::-1]
        if self.is_cloud:
            for start in range(0, len(own), COMMENT_LIST_LIMIT):
                chunk = own[start : start + COMMENT_LIST_LIMIT]
                page = self._call(
                    "POST",
                    "comment/list",
                    key=key,
                    operation="read comment properties",
                    params={"expand": "properties"},
                    json={"ids": [int(i) for i in chunk]},
                )
                for raw in (page or {}).get("values") or []:
                    if _marks(CommentData.from_json(raw).properties.get(COMMENT_PROPERTY), intent_id, any_version):
                        return str(raw["id"])
            return None
        for comment_id in own:
            try:
                raw = self._call(
                    "GET",
                    f"comment/{comment_id}/properties/{COMMENT_PROPERTY}",
                    key=key,
                    operation="read comment property",
                )
            except JiraApiError as exc:
                if exc.status == 404:
                    continue
                raise
            if _marks((raw or {}).get("value"), intent_id, any_version):
                return comment_id
        return None

    def fill_source_properties(self, issues: Iterable[IssueData]) -> int:
        """Read ``jirasync.source`` of ``issues`` one by one where search could not return it
        (Data Center's search ignores ``properties=``). Returns the requests made; 0 on Cloud."""
        if self.is_cloud:
            return 0
        requests = 0
        for issue in issues:
            if SOURCE_PROPERTY in issue.properties:
                continue
            value = self.issue_property(issue.key, SOURCE_PROPERTY)
            requests += 1
            if value is not None:
                issue.properties[SOURCE_PROPERTY] = value
        return requests

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
            # On the new issue, an "outwardIssue" entry reads "<new> <outward phrase> <link_to>",
            # the same direction as link(dev_key=new, user_key=link_to).
            payload["update"] = {
                "issuelinks": [{"add": {"type": {"name": self.cfg.link_type}, "outwardIssue": {"key": link_to}}}]
            }
        created = self._call("POST", "issue", key=source_key, operation="create issue", json=payload)
        return str(created["key"])

    def create_screen(self, project: str, issuetype: str) -> CreateScreen:
        """The create screen of ``project``/``issuetype``, read once per process
        (``GET issue/createmeta/{project}/issuetypes[/{id}]``; the older
        ``issue/createmeta?projectKeys=`` is deprecated on Cloud and gone in Jira 9)."""
        cache_key = (project.upper(), issuetype.casefold())
        with self._screen_lock:  # one lookup per pair of names, however many threads create
            screen = self._screens.get(cache_key)
            if screen is None:
                screen = self._read_create_screen(project, issuetype)
                self._screens[cache_key] = screen
            return screen

    def _read_create_screen(self, project: str, issuetype: str) -> CreateScreen:
        try:
            types = self._pages(f"issue/createmeta/{project}/issuetypes", "issueTypes", "read create screen")
        except JiraApiError as exc:
            if isinstance(exc, JiraUnavailable) or exc.status not in (403, 404):
                raise
            # Jira before 8.4 has no per-issue-type createmeta; the account may lack the
            # permission to read it. Send everything then: a 400 names what is refused.
            log.warning(
                "cannot read the create screen; creating with every field",
                extra={"project": project, "issuetype": issuetype, "error": exc.jira_message},
            )
            return CreateScreen(project, issuetype, None)
        match = next((t for t in types if str(t.get("name", "")).casefold() == issuetype.casefold()), None)
        if match is None:
            names = ", ".join(sorted(str(t.get("name")) for t in types)) or "none"
            raise JiraApiError(
                400,
                f"issue type {issuetype!r} cannot be created in project {project} (available: {names})",
                None,
                "read create screen",
            )
        fields = self._pages(f"issue/createmeta/{project}/issuetypes/{match['id']}", "fields", "read create screen")
        ids = {str(f.get("fieldId") or f.get("key")) for f in fields}
        required = {
            str(f.get("fieldId") or f.get("key")) for f in fields if f.get("required") and not f.get("hasDefaultValue")
        }
        return CreateScreen(project, issuetype, frozenset(ids), frozenset(required))

    def project_statuses(self, project: str) -> set[str] | None:
        """Names of the statuses in ``project``'s workflows (all issue types); None if unknown."""
        try:
            raw = self._call("GET", f"project/{project}/statuses", operation="read project statuses")
        except JiraApiError as exc:
            if exc.status == 404:
                return None
            raise
        return {str(s.get("name")) for t in raw or [] for s in t.get("statuses") or []}

    def sample_issues(self, project: str, limit: int = 25) -> list[tuple[str, str]]:
        """(key, status) of up to ``limit`` recently updated issues of ``project``: a quick
        look at a workflow through real issues (reading workflows needs admin rights)."""
        params = {"jql": f"project = {quote(project)} ORDER BY updated DESC", "fields": "status", "maxResults": limit}
        page = (
            self._call("GET", "search/jql" if self.is_cloud else "search", operation="sample issues", params=params)
            or {}
        )
        return [
            (str(i["key"]), str(((i.get("fields") or {}).get("status") or {}).get("name", "")))
            for i in page.get("issues") or []
        ]

    def transition_options(self, key: str) -> list[dict[str, Any]]:
        """The transitions ``key`` offers now, with their screens' fields."""
        page = self._call(
            "GET",
            f"issue/{key}/transitions",
            key=key,
            operation="list transitions",
            params={"expand": "transitions.fields"},
        )
        return list((page or {}).get("transitions") or [])

    def link_type_names(self) -> set[str]:
        raw = self._call("GET", "issueLinkType", operation="read link types") or {}
        return {str(t.get("name")) for t in raw.get("issueLinkTypes") or []}

    def _pages(self, path: str, cloud_key: str, operation: str) -> list[dict[str, Any]]:
        """Every item of a createmeta-style page: ``values`` on Data Center, ``cloud_key`` on Cloud."""
        out: list[dict[str, Any]] = []
        start = 0
        while True:
            page = self._call("GET", path, operation=operation, params={"startAt": start, "maxResults": 200}) or {}
            batch = page.get("values") if "values" in page else page.get(cloud_key)
            batch = batch or []
            out.extend(batch)
            start += len(batch)
            if not batch or page.get("isLast") or start >= int(page.get("total", start)):
                return out

    def edit_issue(self, key: str, fields: dict[str, Any]) -> None:
        self._call("PUT", f"issue/{key}", key=key, operation="edit issue", json={"fields": _field_values(fields)})

    def add_comment(
        self, key: str, body: Body, intent_id: str, *, internal: bool = False, visibility: dict[str, str] | None = None
    ) -> str:
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

    def edit_comment(
        self,
        key: str,
        comment_id: str,
        body: Body,
        *,
        internal: bool | None = None,
        visibility: dict[str, str] | None = None,
    ) -> None:
        """Replace a comment's body; with ``internal`` given, also its internal flag and
        restriction (the flag first: a copy is narrowed before its new text is written)."""
        if internal is not None:
            self._call(
                "PUT",
                f"comment/{comment_id}/properties/{INTERNAL_PROPERTY}",
                key=key,
                operation="set comment visibility",
                json={"internal": internal},
            )
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
            raw = self._call(
                "GET",
                f"comment/{comment_id}/properties/{INTERNAL_PROPERTY}",
                key=key,
                operation="read comment visibility",
            )
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
            params = (
                {"accountId": ident}
                if self.is_cloud
                else ({"key": ident} if ident.startswith("JIRAUSER") else {"username": ident})
            )
            try:
                raw = self._call("GET", "user", operation="read user", params=params)
                name = str((raw or {}).get("displayName") or "someone")
            except JiraApiError:
                name = "someone"
            self._display_names[ident] = name
        return self._display_names[ident]

    def find_people(self, ident: str) -> list[dict[str, str]]:
        """Users matching ``ident`` (an e-mail address, a user name, or a Cloud account id),
        as :func:`~jirasync_cli.jira.models.person_of` gives them; cached per process."""
        if ident not in self._people:
            if self.is_cloud:
                params = {"accountId": ident} if ":" in ident else {"query": ident}
            else:
                params = {"username": ident}
            try:
                raw = self._call("GET", "user/search", operation="find user", params=params) or []
            except JiraApiError:
                raw = []
            self._people[ident] = [p for u in raw if isinstance(u, dict) and (p := person_of(u)) is not None]
        return self._people[ident]

    def link(self, *, dev_key: str, user_key: str) -> None:
        """Link the pair so that it reads "<dev> <outward phrase> <user>" ("ENG-1 clones
        SUP-1"), as a link created with the dev issue does.

        In ``POST issueLink`` the issue sent as ``inwardIssue`` is the one the type's *outward*
        phrase applies to (the issue-linking model: the posted ``inwardIssue`` shows the other
        as its ``outwardIssue``). Posting an existing link again creates no second one."""
        payload = {
            "type": {"name": self.cfg.link_type},
            "inwardIssue": {"key": dev_key},
            "outwardIssue": {"key": user_key},
        }
        self._call("POST", "issueLink", key=user_key, operation="link issues", json=payload)

    def remote_link(self, key: str, *, global_id: str, url: str, title: str, relationship: str) -> None:
        """Add (or, with the same ``global_id``, update) a link from ``key`` to a page
        elsewhere: an issue on another Jira site. Posting it again creates no second one."""
        payload = {
            "globalId": global_id,
            "relationship": relationship,
            "application": {"type": "jirasync", "name": "jirasync"},
            "object": {"url": url, "title": title},
        }
        self._call("POST", f"issue/{key}/remotelink", key=key, operation="link issues (remote)", json=payload)

    def has_remote_link(self, key: str, global_id: str) -> bool:
        try:
            self._call(
                "GET", f"issue/{key}/remotelink", key=key, operation="read remote link", params={"globalId": global_id}
            )
        except JiraApiError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def transition_to(
        self,
        key: str,
        target: str,
        *,
        project: str,
        issuetype: str,
        current: str | None,
        resolution: str | None = None,
        rule: str = "",
    ) -> bool:
        """Move ``key`` to status ``target`` (a name, or a status id); False if it is already there.

        The transition, with the screen values it needs (a resolution), is cached per
        (project, type, from, to, resolution): a status sync is then one request. A stale
        cache entry (workflow changed, status guessed wrong) costs one lookup and a retry.
        A transition asking for a field we cannot fill raises :class:`TransitionBlocked`
        (also cached: no request is repeated for it).
        """
        if current is not None and current.casefold() in {target.casefold(), self.status_name(key, target).casefold()}:
            return False
        if current is None:
            first = self._lookup_transition(key, target, resolution, rule)
            if first is None:
                return False
            self._post_transition(key, first)
            return True
        cache_key = (project, issuetype, current.casefold(), target.casefold(), (resolution or "").casefold())
        if self._transition_cache.get(cache_key) is None:
            with self._lookup_lock(cache_key):  # parallel misses: one lookup, the rest use its result
                if self._transition_cache.get(cache_key) is None:
                    found = self._lookup_transition(key, target, resolution, rule)
                    if found is None:
                        return False
                    with self._cache_lock:
                        self._transition_cache[cache_key] = found
                    self._post_transition(key, found)
                    return True
        plan = self._transition_cache[cache_key]
        if plan.blocked and time.monotonic() - plan.learnt_at > BLOCKED_RECHECK_SECONDS:
            again = self._lookup_transition(key, target, resolution, rule)  # the screen may be fixed by now
            if again is None:
                return False
            plan = again
            with self._cache_lock:
                self._transition_cache[cache_key] = plan
        try:
            self._post_transition(key, plan)
            return True
        except TransitionBlocked:
            raise
        except JiraApiError as exc:
            if exc.status != 400:
                raise
        fresh = self._lookup_transition(key, target, resolution, rule)  # workflow changed: look again
        if fresh is None:
            return False
        with self._cache_lock:
            self._transition_cache[cache_key] = fresh
        self._post_transition(key, fresh)
        return True

    def status_name(self, key: str, target: str) -> str:
        """The name of status ``target`` as this site shows it: a status id seen in a
        transition's ``to.id`` becomes its name; anything else is returned as given."""
        return self._status_names.get(target.strip(), target)

    def _lookup_lock(self, cache_key: tuple[str, ...]) -> threading.Lock:
        with self._cache_lock:
            return self._lookup_locks.setdefault(cache_key, threading.Lock())

    def _lookup_transition(self, key: str, target: str, resolution: str | None, rule: str) -> TransitionPlan | None:
        """The transition of ``key`` reaching ``target`` (by the target status's name, else its
        id) and what its screen needs from us; None if ``key`` is already in that status."""
        options = self.transition_options(key)
        for option in options:
            to = option.get("to") or {}
            if str(to.get("id", "")) and to.get("name"):
                with self._cache_lock:
                    self._status_names[str(to["id"])] = str(to["name"])
        wanted = target.strip()
        hit = next(
            (o for o in options if str((o.get("to") or {}).get("name", "")).casefold() == wanted.casefold()), None
        )
        hit = hit or next((o for o in options if str((o.get("to") or {}).get("id", "")) == wanted), None)
        if hit is not None:
            name = str((hit.get("to") or {}).get("name", "")) or target
            return transition_plan(hit, key=key, target=name, resolution=resolution, rule=rule)
        # A status id whose name we have not learnt may be the one the issue is in already.
        issue = self.get_issue(key) if wanted.isdigit() else None
        if issue is not None and issue.status_id == wanted:
            with self._cache_lock:
                self._status_names[wanted] = issue.status
            return None
        reachable = ", ".join(sorted({(o.get("to") or {}).get("name", "?") for o in options})) or "none"
        raise JiraApiError(400, f"no transition reaches status {target!r} (reachable: {reachable})", key, "transition")

    def _post_transition(self, key: str, plan: TransitionPlan) -> None:
        if plan.blocked:
            raise TransitionBlocked(None, plan.blocked, key, "transition")
        payload: dict[str, Any] = {"transition": {"id": plan.id}}
        if plan.fields:
            payload["fields"] = plan.fields
        self._call("POST", f"issue/{key}/transitions", key=key, operation="transition", json=payload)

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


def _marks(marker: Any, intent_id: str, any_version: bool = False) -> bool:
    if not isinstance(marker, dict) or not isinstance(marker.get("intent"), str):
        return False
    if any_version:
        return _versionless(marker["intent"]) == _versionless(intent_id)
    intent: str = marker["intent"]
    return intent == intent_id


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
    return cls(status, message, key, operation, field_errors_of(body))


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
    cfg: JiraSite,
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
    pacer = pacer_for(
        cfg.base_url, cfg.max_requests_per_second, cancel, ceiling=getattr(cfg, "max_requests_per_second_ceiling", None)
    )
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
    info = _request(
        jira._session, "GET", f"{cfg.base_url}/rest/api/2/serverInfo", key=None, operation="connect to Jira"
    )
    jira.deploymentType = info.get("deploymentType")
    if jira.deploymentType != "Cloud" and getattr(cfg, "max_requests_per_second_ceiling", None) is None:
        pacer.hold()  # Data Center sends no early warning (NearLimit): rise only to a ceiling set on purpose
    jira._version = tuple(info.get("versionNumbers") or (0, 0, 0))
    # The library builds every URL from this option; v3 on Cloud (ADF bodies), v2 on Server.
    jira._options["rest_api_version"] = cfg.api_version or ("3" if jira.deploymentType == "Cloud" else "2")
    return JiraClient(jira, cfg, pacer, clock, info, adapter.requests)
