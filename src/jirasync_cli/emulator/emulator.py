"""``JiraEmulator``: the server plus a Python API for tests, demos and benchmarks.

The Python API acts "as a human in the UI": it goes through the same state operations as the
REST handlers (changelog, ``updated``), but is not part of the request log.
"""

from __future__ import annotations

import collections
import json
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from . import adf, catalog
from . import screens as screens_mod
from .accounts import BOT, Account, AccountBook, default_accounts
from .clock import Clock, from_ms, to_ms, zone
from .errors import ApiError, EmulatorError
from .faults import Faults
from .fields import FieldParser
from .model import Issue, State, body_text, body_wiki
from .ops import Domain
from .persistence import Saver, load_state
from .server import EmulatorHTTPServer, LogEntry, dispatch
from .visibility import JSM_PROPERTY, is_internal
from .webhooks import Webhooks
from .workflow import Transition, Workflow

LOG_LIMIT = 1_000_000  # request log entries kept (oldest dropped beyond)


class JiraEmulator:
    def __init__(
        self,
        mode: str = "cloud",
        host: str = "127.0.0.1",
        port: int = 0,
        timezone: str = "Europe/Berlin",
        accounts: list[Account] | None = None,
        persist_path: str | Path | None = None,
        clock_offset_seconds: float = 0.0,
        search_comment_limit: int | None = None,
        seed: int = 0,
        base_url: str | None = None,
        save_debounce_seconds: float = 0.5,
        screens: Any = screens_mod.DEFAULT_PRESET,
        **strictness: Any,
    ) -> None:
        """``screens``: the create/edit screens of projects that have none of their own, as a
        preset (``"default"``: no Linked Issues, like Jira's Default Screen; ``"all"``;
        ``"minimal"``), a list of field ids, ``{"create": [...], "edit": [...]}``, or a dict
        from issue type name (or ``"*"``) to one of those. See :mod:`.screens`."""
        if mode not in ("cloud", "server"):
            raise ValueError("mode must be 'cloud' or 'server'")
        zone(timezone)  # fail early on an unknown zone
        self.mode = mode
        self.host, self.port = host, port
        self.timezone = timezone
        self.accounts = AccountBook(accounts if accounts is not None else default_accounts())
        self.persist_path = Path(persist_path) if persist_path else None
        self.clock = Clock(clock_offset_seconds)
        self.search_comment_limit = search_comment_limit
        self.screens = screens_mod.per_issue_type(screens)
        self.faults = Faults(seed)
        # How closely to follow real Jira where it says no or differs between deployments
        # (see configure()); strict by default wherever real sites are.
        self.strict_transition_screens = True
        self.search_properties = mode == "cloud"  # Data Center search ignores properties=
        self.comment_list_properties = mode != "cloud"  # Cloud ignores expand=properties there
        self.index_lag_seconds = 0.0  # Cloud: writes reach search after this long
        self.max_result_window = 10_000  # Data Center: startAt + maxResults beyond this fails
        self.max_url_length = 8192  # longer request lines are refused (414)
        self._page_hooks: list[Any] = []
        self.configure(**strictness)
        self.state = State()
        self.domain = Domain(self.state, self.accounts, cloud=mode == "cloud")
        self.webhooks = Webhooks(self, seed)  # admin webhooks: registrations, deliveries, switches
        self.domain.on_change = self.webhooks.changed
        self._base_url = base_url
        self._save_debounce = save_debounce_seconds
        self._log_lock = threading.Lock()
        self._entries: collections.deque[LogEntry] = collections.deque(maxlen=LOG_LIMIT)
        self._httpd: EmulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._saver: Saver | None = None
        if self.persist_path and self.persist_path.exists():
            try:
                with self.state.lock:
                    load_state(self.state, json.loads(self.persist_path.read_text("utf-8")))
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise EmulatorError(f"cannot load emulator state from {self.persist_path}: {exc}") from None

    # ---------------------------------------------------------------- lifecycle
    def start(self) -> JiraEmulator:
        if self._httpd is not None:
            return self
        self._httpd = EmulatorHTTPServer((self.host, self.port), self)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"jira-emulator-{self.port}",
            daemon=True,
        )
        self._thread.start()
        if self.persist_path:
            self._saver = Saver(self, self.persist_path, debounce=self._save_debounce)
            self._saver.start()
        return self

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is not None:
            httpd.shutdown()
            httpd.close_connections()
            httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.webhooks.stop()
        if self._saver is not None:
            self._saver.stop()
            self._saver = None
        elif self.persist_path:
            self.save()

    def __enter__(self) -> JiraEmulator:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return self._base_url or self.url

    @property
    def running(self) -> bool:
        return self._httpd is not None

    def save(self) -> bool:
        """Persist now (no-op without ``persist_path``); returns whether a file was written."""
        if not self.persist_path:
            return False
        if self._saver is not None:
            return self._saver.save()
        return Saver(self, self.persist_path).save()

    def reset(self) -> None:
        """Forget all projects and issues, faults and the request log (accounts stay)."""
        with self.state.lock:
            revision = self.state.revision
            self.state.reset()
            self.state.revision = revision + 1
        self.faults.clear()
        self.webhooks.clear()
        self.clear_request_log()

    def dispatch(
        self, method: str, path: str, headers: dict[str, Any], body: bytes = b""
    ) -> tuple[int, dict[str, Any], bytes]:
        """Serve one request without HTTP (used by in-process callers and micro-benchmarks)."""
        return dispatch(self, method, path, headers, body)

    # ---------------------------------------------------------------- strictness
    STRICTNESS = (
        "strict_transition_screens",
        "search_properties",
        "comment_list_properties",
        "index_lag_seconds",
        "max_result_window",
        "max_url_length",
    )

    def configure(self, **values: Any) -> dict[str, Any]:
        """Change how strict the emulator is; returns the current settings.

        * ``strict_transition_screens``: transitions check their screen (required fields,
          nothing off-screen), as Jira does;
        * ``search_properties``: search honours ``properties=`` (Cloud yes, Data Center no);
        * ``comment_list_properties``: ``GET issue/{key}/comment`` honours ``expand=properties``
          (undocumented on Cloud, so ignored there);
        * ``index_lag_seconds``: Cloud search sees an issue only this long after its last
          write, unless its id is passed in ``reconcileIssues``;
        * ``max_result_window``: Data Center fails a search page reaching past this many
          results (``jira.search.platform.max.result.window``);
        * ``max_url_length``: request lines longer than this get 414.
        """
        for name, value in values.items():
            if name not in self.STRICTNESS:
                raise EmulatorError(f"unknown emulator setting {name!r}")
            kind = type(getattr(self, name))
            setattr(self, name, kind(value))
        return {name: getattr(self, name) for name in self.STRICTNESS}

    def after_search_page(self, hook: Any) -> None:
        """Run ``hook()`` once, right after the next search page is served: what a person
        does while a client pages through results (edit, move, delete an issue)."""
        self._page_hooks.append(hook)

    def _search_page_served(self) -> None:
        hooks, self._page_hooks = self._page_hooks, []
        for hook in hooks:
            hook()

    # ---------------------------------------------------------------- clock
    def now(self) -> datetime:
        return self.clock.now(self.timezone)

    @property
    def clock_offset_seconds(self) -> float:
        return self.clock.offset_seconds

    @clock_offset_seconds.setter
    def clock_offset_seconds(self, value: float) -> None:
        self.clock.offset_seconds = value

    def advance(self, seconds: float) -> None:
        """Move the emulator clock forward (affects created/updated, serverTime, Date, JQL "now")."""
        self.clock.advance(seconds)

    # ---------------------------------------------------------------- request log
    def _log(self, entry: LogEntry) -> None:
        with self._log_lock:
            self._entries.append(entry)

    @property
    def request_log(self) -> list[LogEntry]:
        with self._log_lock:
            return list(self._entries)

    def clear_request_log(self) -> None:
        with self._log_lock:
            self._entries.clear()

    # ---------------------------------------------------------------- acting as humans
    def _actor(self, as_account: str | None) -> str:
        if as_account is None:
            human = next((a for a in self.accounts.accounts if a.name != BOT), self.accounts.accounts[0])
            return human.name
        acc = self.accounts.get(as_account)
        if acc is None:
            raise EmulatorError(f"unknown account {as_account!r}")
        return acc.name

    def _at(self, at: datetime | None) -> int:
        return self.clock.now_ms() if at is None else to_ms(at)

    def _issue(self, key: str) -> Issue:
        issue = self.state.issue(key)
        if issue is None:
            raise EmulatorError(f"no issue {key}")
        return issue

    def _parser(self) -> FieldParser:
        return FieldParser(
            self.state, self.accounts, version="3" if self.mode == "cloud" else "2", cloud=self.mode == "cloud"
        )

    def _rest_fields(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Python-API field values (names, plain text) to REST field values."""
        out: dict[str, Any] = {}
        for name, value in fields.items():
            if name in ("priority", "issuetype", "resolution") and isinstance(value, str):
                out[name] = {"name": value}
            elif name in ("assignee", "reporter") and isinstance(value, str):
                acc = self.accounts.get(value)
                if acc is None:
                    raise EmulatorError(f"unknown account {value!r}")
                out[name] = {"accountId": acc.account_id} if self.mode == "cloud" else {"name": acc.name}
            elif name == "description":
                out[name] = self._body(value) if value else None
            else:
                out[name] = value
        return out

    def _body(self, value: str | dict[str, Any]) -> Any:
        """Humans type text; Cloud stores it as ADF, Server as wiki markup."""
        if self.mode == "cloud":
            return value if isinstance(value, dict) else adf.wiki_to_adf(value)
        if isinstance(value, dict):
            return adf.adf_to_wiki(value)
        return value

    def add_project(
        self,
        key: str,
        name: str | None = None,
        workflow: Workflow | None = None,
        lead: str | None = None,
        description: str = "",
        project_type: str | None = None,
        screens: Any = None,
    ) -> dict[str, Any]:
        """Add a project; ``screens`` (same forms as the constructor's) overrides the
        instance's default create/edit screens for this project."""
        wf = workflow or Workflow.user_default()
        table = screens_mod.per_issue_type(screens) if screens is not None else None
        with self.state.lock:
            try:
                kind = project_type or ("service_desk" if wf.name.startswith("Customer") else "software")
                proj = self.domain.add_project(key, name or key, wf, lead, description, kind)
            except ValueError as exc:
                raise EmulatorError(str(exc)) from None
            proj.screens = table
        return {"id": str(proj.id), "key": proj.key, "name": proj.name, "workflow": wf.name}

    def set_screens(self, screens: Any, project: str | None = None) -> None:
        """Change the create/edit screens of ``project`` (None: the instance default).
        ``screens=None`` makes a project use the instance default again."""
        if project is None:
            self.screens = screens_mod.per_issue_type(screens if screens is not None else screens_mod.DEFAULT_PRESET)
            return
        table = screens_mod.per_issue_type(screens) if screens is not None else None
        with self.state.lock:
            proj = self.state.project(project)
            if proj is None:
                raise EmulatorError(f"no project {project}")
            proj.screens = table
            self.state.revision += 1

    def screens_summary(self) -> dict[str, Any]:
        """The instance default and each project's own screens, by issue type id ("*": the rest)."""
        with self.state.lock:
            return {
                "default": screens_mod.to_config(self.screens),
                "projects": {
                    p.key: screens_mod.to_config(p.screens)
                    for p in self.state.projects.values()
                    if p.screens is not None
                },
            }

    def screens_of(self, project: Any, issuetype_id: str | None) -> screens_mod.Screens:
        """The screens that apply to ``project`` (a model Project) and issue type."""
        return screens_mod.screens_for(self.screens, project.screens, issuetype_id)

    def create_issue(
        self,
        project: str,
        summary: str,
        description: str | dict[str, Any] | None = None,
        issuetype: str = "Task",
        priority: str | None = None,
        labels: list[str] | None = None,
        status: str | None = None,
        as_account: str | None = None,
        assignee: str | None = None,
        at: datetime | None = None,
    ) -> str:
        """Create an issue as a person would in the UI; with ``status``, walk the workflow there."""
        actor = self._actor(as_account)
        with self.state.lock:
            proj = self.state.project(project)
            if proj is None:
                raise EmulatorError(f"no project {project}")
            fields: dict[str, Any] = {"summary": summary, "issuetype": issuetype}
            if description:
                fields["description"] = description
            if priority:
                fields["priority"] = priority
            if labels:
                fields["labels"] = list(labels)
            if assignee:
                fields["assignee"] = assignee
            parser = self._parser()
            parsed = parser.parse(self._rest_fields(fields), None, issue=None, creating=False)
            parser.raise_if_errors()
            ch = parsed.changes
            path: list[Transition] = []
            if status:
                target = proj.workflow.status(status)
                found = proj.workflow.path(proj.workflow.initial, target.name) if target else None
                if found is None:
                    raise EmulatorError(f"status {status!r} is not reachable in {proj.key}'s workflow")
                path = found
            now = self._at(at)
            issue = self.domain.create_issue(
                proj,
                summary=ch["summary"],
                issuetype_id=ch["issuetype_id"],
                actor=actor,
                now=now,
                description=ch.get("description"),
                priority_id=ch.get("priority_id"),
                labels=ch.get("labels"),
                assignee=ch.get("assignee"),
            )
            for tr in path:
                self.domain.transition(issue, tr, actor, now)
            return issue.key

    def transition(self, key: str, status: str, as_account: str | None = None, at: datetime | None = None) -> None:
        """Move ``key`` to the status named ``status`` by one workflow transition; raises
        EmulatorError if the workflow has no such transition from the current status."""
        actor = self._actor(as_account)
        with self.state.lock:
            try:
                self.domain.transition_to(self._issue(key), status, actor, self._at(at))
            except ApiError as exc:
                raise EmulatorError(str(exc)) from None

    def add_comment(
        self,
        key: str,
        body: str | dict[str, Any],
        as_account: str | None = None,
        at: datetime | None = None,
        properties: dict[str, Any] | None = None,
        visibility: dict[str, Any] | None = None,
        internal: bool = False,
    ) -> str:
        """Comment as a person would; ``internal`` makes it a JSM internal note (agents only),
        ``visibility`` (``{"type": "role"|"group", "value": ...}``) restricts it to members."""
        actor = self._actor(as_account)
        props = dict(properties or {})
        if internal:
            props[JSM_PROPERTY] = {"internal": True}
        with self.state.lock:
            issue = self._issue(key)
            stored = ("adf", self._body(body)) if self.mode == "cloud" else ("wiki", self._body(body))
            c = self.domain.add_comment(issue, stored, actor, self._at(at), visibility=visibility, properties=props)
            return str(c.id)

    def edit_comment(
        self,
        key: str,
        comment_id: str,
        body: str | dict[str, Any] | None = None,
        as_account: str | None = None,
        at: datetime | None = None,
        visibility: dict[str, Any] | None = None,
        internal: bool | None = None,
    ) -> None:
        """Edit a comment's body (None: keep it), restriction (``{}`` lifts it) or internal flag."""
        actor = self._actor(as_account)
        with self.state.lock:
            issue = self._issue(key)
            c = self.state.comments.get(int(comment_id))
            if c is None or c.issue_id != issue.id:
                raise EmulatorError(f"no comment {comment_id} on {key}")
            stored = (
                c.body
                if body is None
                else (("adf", self._body(body)) if self.mode == "cloud" else ("wiki", self._body(body)))
            )
            if internal is not None:
                c.properties[JSM_PROPERTY] = {"internal": internal}
            self.domain.edit_comment(issue, c, stored, actor, self._at(at), visibility)

    def delete_comment(self, key: str, comment_id: str, at: datetime | None = None) -> None:
        with self.state.lock:
            issue = self._issue(key)
            c = self.state.comments.get(int(comment_id))
            if c is None or c.issue_id != issue.id:
                raise EmulatorError(f"no comment {comment_id} on {key}")
            self.domain.delete_comment(issue, c, self._at(at))

    def edit(self, key: str, fields: dict[str, Any], as_account: str | None = None, at: datetime | None = None) -> bool:
        """Edit fields (summary, description, priority, labels, issuetype, assignee) by name/text.
        Returns whether anything changed."""
        actor = self._actor(as_account)
        with self.state.lock:
            issue = self._issue(key)
            parser = self._parser()
            parsed = parser.parse(self._rest_fields(fields), None, issue=issue, creating=False)
            parser.raise_if_errors()
            return self.domain.apply_changes(issue, parsed.changes, actor, self._at(at))

    def move_issue(self, key: str, project: str, as_account: str | None = None, at: datetime | None = None) -> str:
        """Move ``key`` to ``project`` as a person would; returns its new key."""
        actor = self._actor(as_account)
        with self.state.lock:
            target = self.state.project(project)
            if target is None:
                raise EmulatorError(f"no project {project}")
            issue = self._issue(key)
            self.domain.move_issue(issue, target, actor, self._at(at))
            return issue.key

    def delete_issue(self, key: str) -> None:
        with self.state.lock:
            self.domain.delete_issue(self._issue(key))

    def link(
        self,
        inward_key: str,
        outward_key: str,
        link_type: str = "Relates",
        as_account: str | None = None,
        at: datetime | None = None,
    ) -> str:
        """Link two issues: ``inward_key`` <outward description> ``outward_key`` ("A blocks B")."""
        actor = self._actor(as_account)
        with self.state.lock:
            t = next((t for t in catalog.LINK_TYPES if link_type in (t[0], t[1])), None)
            if t is None:
                raise EmulatorError(f"unknown link type {link_type!r}")
            link = self.domain.add_link(t[0], self._issue(inward_key), self._issue(outward_key), actor, self._at(at))
            return str(link.id)

    def delete_link(self, link_id: str, as_account: str | None = None, at: datetime | None = None) -> None:
        """Remove an issue link as a person would (both issues record it)."""
        actor = self._actor(as_account)
        with self.state.lock:
            link = self.state.links.get(int(link_id))
            if link is None:
                raise EmulatorError(f"no issue link {link_id}")
            self.domain.delete_link(link, actor, self._at(at))

    def set_property(self, key: str, prop: str, value: Any) -> None:
        with self.state.lock:
            self._issue(key).properties[prop] = value
            self.state.revision += 1

    # ---------------------------------------------------------------- inspection
    def _dt(self, ms: int | None) -> datetime | None:
        return None if ms is None else from_ms(ms, self.timezone)

    def issue(self, key: str) -> dict[str, Any]:
        """A snapshot of the internal state of one issue (plain values, aware datetimes)."""
        with self.state.lock:
            i = self._issue(key)
            st = self.state
            links = []
            for lid in i.link_ids:
                lk = st.links[lid]
                t = next(t for t in catalog.LINK_TYPES if t[0] == lk.type_id)
                if lk.inward_id == i.id:
                    links.append(
                        {
                            "id": str(lid),
                            "type": t[1],
                            "direction": "outward",
                            "description": t[3],
                            "key": st.issues[lk.outward_id].key,
                        }
                    )
                else:
                    links.append(
                        {
                            "id": str(lid),
                            "type": t[1],
                            "direction": "inward",
                            "description": t[2],
                            "key": st.issues[lk.inward_id].key,
                        }
                    )
            res = self.domain.resolution_names.get(i.resolution_id) if i.resolution_id else None
            return {
                "id": str(i.id),
                "key": i.key,
                "project": st.projects_by_id[i.project_id].key,
                "summary": i.summary,
                "description": body_wiki(i.description),
                "description_text": body_text(i.description) if i.description else None,
                "issuetype": next(t[1] for t in catalog.ISSUE_TYPES if t[0] == i.issuetype_id),
                "priority": next(p[1] for p in catalog.PRIORITIES if p[0] == i.priority_id),
                "status": i.status,
                "status_category": st.category(i.status),
                "resolution": res,
                "labels": list(i.labels),
                "reporter": i.reporter,
                "creator": i.creator,
                "assignee": i.assignee,
                "created": self._dt(i.created),
                "updated": self._dt(i.updated),
                "resolutiondate": self._dt(i.resolutiondate),
                "comment_count": len(i.comment_ids),
                "links": links,
                "remote_links": [
                    {
                        "id": str(r),
                        "globalId": st.remote_links[r].global_id,
                        "url": st.remote_links[r].object.get("url"),
                        "title": st.remote_links[r].object.get("title"),
                    }
                    for r in i.remote_link_ids
                ],
                "properties": json.loads(json.dumps(i.properties)),
                "changelog": [
                    {"author": h.author, "created": self._dt(h.created), "items": [dict(x) for x in h.items]}
                    for h in i.histories
                ],
            }

    def issues(self, project: str | None = None) -> list[dict[str, Any]]:
        with self.state.lock:
            keys = [
                i.key
                for i in self.state.issues.values()
                if project is None or self.state.projects_by_id[i.project_id].key == project.upper()
            ]
            return [self.issue(k) for k in keys]

    def comments(self, key: str) -> list[dict[str, Any]]:
        with self.state.lock:
            i = self._issue(key)
            out = []
            for cid in i.comment_ids:
                c = self.state.comments[cid]
                out.append(
                    {
                        "id": str(c.id),
                        "author": c.author,
                        "update_author": c.update_author,
                        "body": body_wiki(c.body),
                        "body_format": c.body[0],
                        "created": self._dt(c.created),
                        "updated": self._dt(c.updated),
                        "visibility": c.visibility,
                        "internal": is_internal(c.properties),
                        "properties": json.loads(json.dumps(c.properties)),
                    }
                )
            return out

    def summary(self) -> dict[str, Any]:
        with self.state.lock:
            st = self.state
            per_project = collections.Counter(i.project_id for i in st.issues.values())
            return {
                "mode": self.mode,
                "url": self.url,
                "base_url": self.base_url,
                "timezone": self.timezone,
                "now": self.now().isoformat(timespec="milliseconds"),
                "clock_offset_seconds": self.clock_offset_seconds,
                "persist_path": str(self.persist_path) if self.persist_path else None,
                "projects": [
                    {
                        "key": p.key,
                        "name": p.name,
                        "id": str(p.id),
                        "workflow": p.workflow.name,
                        "issues": per_project.get(p.id, 0),
                    }
                    for p in st.projects.values()
                ],
                "issues": len(st.issues),
                "comments": len(st.comments),
                "links": len(st.links),
                "remote_links": len(st.remote_links),
                "revision": st.revision,
                "accounts": [
                    {
                        "name": a.name,
                        "displayName": a.display_name,
                        "email": a.email,
                        "token": a.token,
                        "accountId": a.account_id,
                        "role": a.role,
                    }
                    for a in self.accounts.accounts
                ],
                "requests": len(self._entries),
                "faults": self.faults.to_dict(),
            }
