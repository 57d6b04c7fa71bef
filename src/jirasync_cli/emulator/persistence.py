"""Saving the emulator's state to one JSON file (atomic rename), and a debounced saver thread
that writes shortly after changes settle, at least every ``max_delay`` while changes continue."""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import screens
from .model import Comment, History, Issue, IssueLink, Project, RemoteLink, State
from .workflow import Workflow

if TYPE_CHECKING:
    from .emulator import JiraEmulator

log = logging.getLogger("jirasync.emulator")
FORMAT_VERSION = 1


def dump_state(st: State) -> dict[str, Any]:
    """A JSON-able snapshot; call with ``st.lock`` held."""
    return {
        "format": FORMAT_VERSION,
        "counters": dict(st.counters),
        "statuses": {k: list(v) for k, v in st.statuses.items()},
        "projects": [
            {
                "id": p.id,
                "key": p.key,
                "name": p.name,
                "workflow": p.workflow.to_dict(),
                "lead": p.lead,
                "description": p.description,
                "project_type": p.project_type,
                "next_number": p.next_number,
                "screens": screens.to_config(p.screens) if p.screens else None,
            }
            for p in st.projects.values()
        ],
        "issues": [
            {
                "id": i.id,
                "key": i.key,
                "project_id": i.project_id,
                "summary": i.summary,
                "description": list(i.description) if i.description else None,
                "issuetype_id": i.issuetype_id,
                "priority_id": i.priority_id,
                "labels": i.labels,
                "status": i.status,
                "reporter": i.reporter,
                "creator": i.creator,
                "assignee": i.assignee,
                "created": i.created,
                "updated": i.updated,
                "statuscategorychangedate": i.statuscategorychangedate,
                "resolution_id": i.resolution_id,
                "resolutiondate": i.resolutiondate,
                "comment_ids": i.comment_ids,
                "link_ids": i.link_ids,
                "remote_link_ids": i.remote_link_ids,
                "properties": i.properties,
                "old_keys": i.old_keys,
                "histories": [
                    {"id": h.id, "author": h.author, "created": h.created, "items": h.items} for h in i.histories
                ],
            }
            for i in st.issues.values()
        ],
        "comments": [
            {
                "id": c.id,
                "issue_id": c.issue_id,
                "author": c.author,
                "update_author": c.update_author,
                "created": c.created,
                "updated": c.updated,
                "body": list(c.body),
                "visibility": c.visibility,
                "properties": c.properties,
            }
            for c in st.comments.values()
        ],
        "links": [
            {"id": lk.id, "type_id": lk.type_id, "inward_id": lk.inward_id, "outward_id": lk.outward_id}
            for lk in st.links.values()
        ],
        "remote_links": [
            {
                "id": r.id,
                "issue_id": r.issue_id,
                "global_id": r.global_id,
                "object": r.object,
                "application": r.application,
                "relationship": r.relationship,
            }
            for r in st.remote_links.values()
        ],
    }


def load_state(st: State, data: dict[str, Any]) -> None:
    """Replace ``st``'s content with a snapshot; call with ``st.lock`` held."""
    if data.get("format") != FORMAT_VERSION:
        raise ValueError(f"unsupported emulator state format {data.get('format')!r}")
    st.reset()
    st.counters.update(data["counters"])
    st.statuses = {k: tuple(v) for k, v in data["statuses"].items()}
    for p in data["projects"]:
        proj = Project(
            p["id"],
            p["key"],
            p["name"],
            Workflow.from_dict(p["workflow"]),
            p.get("lead"),
            p.get("description", ""),
            p.get("project_type", "software"),
            p["next_number"],
            screens.from_config(p.get("screens")),
        )
        st.projects[proj.key] = proj
        st.projects_by_id[proj.id] = proj
    for d in data["issues"]:
        d = dict(d)
        d["description"] = tuple(d["description"]) if d["description"] else None
        d["histories"] = [History(**h) for h in d["histories"]]
        issue = Issue(**d)
        st.issues[issue.id] = issue
        st.issues_by_key[issue.key] = issue
        for old in issue.old_keys:
            st.issues_by_key[old] = issue
    for d in data["comments"]:
        d = dict(d)
        d["body"] = tuple(d["body"])
        d.pop("jsd_public", None)  # older files: now derived from the sd.public.comment property
        st.comments[d["id"]] = Comment(**d)
    for d in data["links"]:
        st.links[d["id"]] = IssueLink(**d)
    for d in data["remote_links"]:
        st.remote_links[d["id"]] = RemoteLink(**d)


def write_atomic(path: Path, payload: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


class Saver:
    """Background thread: save once the state stopped changing for ``debounce`` seconds."""

    def __init__(self, emu: JiraEmulator, path: Path, debounce: float = 0.5, max_delay: float = 5.0) -> None:
        self.emu, self.path, self.debounce, self.max_delay = emu, path, debounce, max_delay
        self.saved_revision = -1
        self._stop = threading.Event()
        self._save_lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="jira-emulator-saver", daemon=True)

    def start(self) -> None:
        with self.emu.state.lock:
            self.saved_revision = self.emu.state.revision
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self.save()

    def save(self) -> bool:
        """Write now if anything changed since the last save; returns whether it wrote."""
        with self._save_lock:
            st = self.emu.state
            with st.lock:
                rev = st.revision
                if rev == self.saved_revision and self.path.exists():
                    return False
                payload = json.dumps(dump_state(st), separators=(",", ":")).encode("utf-8")
            write_atomic(self.path, payload)
            self.saved_revision = rev
            return True

    def _run(self) -> None:
        first_dirty = None
        last_rev = self.saved_revision
        last_change = time.monotonic()
        while not self._stop.wait(0.1):
            rev = self.emu.state.revision
            now = time.monotonic()
            if rev != last_rev:
                last_rev, last_change = rev, now
                first_dirty = first_dirty or now
            if (
                rev != self.saved_revision
                and first_dirty is not None
                and (now - last_change >= self.debounce or now - first_dirty >= self.max_delay)
            ):
                try:
                    self.save()
                except OSError:
                    log.exception("saving emulator state to %s failed", self.path)
                first_dirty = None
