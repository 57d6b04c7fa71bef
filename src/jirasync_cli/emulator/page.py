"""The emulator's ``/``: a read-only HTML page to watch a sync in a browser.

Every project with its issues (newest first): status, summary, links, and comments with who
wrote them and whether a reader outside the staff would see them (restricted to a group or
role, or a Service Management internal note). Not part of Jira's REST API, which stays
untouched; it reads the state under its lock like any request and escapes every value.
The page reloads itself every few seconds.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from .catalog import LINK_TYPES
from .clock import iso_utc
from .model import Comment, Issue, body_text
from .visibility import is_internal

if TYPE_CHECKING:
    from .emulator import JiraEmulator

ISSUES_PER_PROJECT = 200  # the newest; a page for people, not an export
COMMENT_CHARS = 400
REFRESH_SECONDS = 5

_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#172b4d}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #dfe1e6;padding:.35em .5em;
text-align:left;vertical-align:top}th{background:#f4f5f7}.key{white-space:nowrap}li a{white-space:nowrap}
.status{display:inline-block;padding:0 .4em;border-radius:3px;background:#dfe1e6;font-weight:600}
.done{background:#e3fcef;color:#006644}.indeterminate{background:#deebff;color:#0747a6}
.comment{margin:.2em 0;padding:.2em .4em;border-left:3px solid #dfe1e6}
.comment.restricted{border-color:#ff8b00;background:#fffae6}.comment.internal{border-color:#de350b;background:#ffebe6}
.badge{font-size:.8em;font-weight:600;padding:0 .3em;border-radius:3px;background:#ff8b00;color:#fff}
.internal .badge{background:#de350b}.muted{color:#6b778c}
"""


def index_page(emu: JiraEmulator) -> bytes:
    with emu.state.lock:
        body = _projects(emu)
    title = f"Jira emulator ({emu.mode})"
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="refresh" content="{REFRESH_SECONDS}"><title>{escape(title)}</title>'
        f"<style>{_STYLE}</style></head><body><h1>{escape(title)}</h1>"
        f'<p class="muted">Read-only view of {escape(emu.base_url)}, refreshed every {REFRESH_SECONDS} s. '
        "The REST API is under <code>/rest/api/</code>.</p>"
        f"{body}</body></html>"
    ).encode()


def _projects(emu: JiraEmulator) -> str:
    state = emu.state
    if not state.projects:
        return '<p id="no-projects">No projects yet.</p>'
    by_project: dict[int, list[Issue]] = {}
    for issue in state.issues.values():
        by_project.setdefault(issue.project_id, []).append(issue)
    parts = []
    for project in sorted(state.projects.values(), key=lambda p: p.key):
        issues = sorted(by_project.get(project.id, []), key=lambda i: i.id, reverse=True)
        shown = issues[:ISSUES_PER_PROJECT]
        more = f" (newest {len(shown)} shown)" if len(issues) > len(shown) else ""
        rows = (
            "".join(_issue_row(emu, issue) for issue in shown)
            or '<tr><td colspan="5" class="muted">No issues.</td></tr>'
        )
        parts.append(
            f'<section class="project" id="project-{escape(project.key)}">'
            f"<h2>{escape(project.key)} · {escape(project.name)} "
            f'<span class="muted">{len(issues)} issue{"s" if len(issues) != 1 else ""}{more}</span></h2>'
            "<table><thead><tr><th>Key</th><th>Status</th><th>Summary</th><th>Links</th><th>Comments</th></tr></thead>"
            f"<tbody>{rows}</tbody></table></section>"
        )
    return "".join(parts)


def _issue_row(emu: JiraEmulator, issue: Issue) -> str:
    key = escape(issue.key)
    category = escape(emu.state.statuses.get(issue.status, ("", "", ""))[1])
    return (
        f'<tr class="issue" id="{key}" data-key="{key}" data-status="{escape(issue.status)}">'
        f'<td class="key"><b>{key}</b></td><td><span class="status {category}">{escape(issue.status)}</span></td>'
        f"<td>{escape(issue.summary)}</td><td>{_links(emu, issue)}</td><td>{_comments(emu, issue)}</td></tr>"
    )


def _links(emu: JiraEmulator, issue: Issue) -> str:
    names = {type_id: (inward, outward) for type_id, _name, inward, outward in LINK_TYPES}
    items = []
    for link_id in issue.link_ids:
        link = emu.state.links.get(link_id)
        if link is None:
            continue
        inward, outward = names.get(link.type_id, ("linked to", "linked to"))
        # The issue created as "inwardIssue" reads the outward phrase ("blocks"), see model.IssueLink.
        verb, other_id = (outward, link.outward_id) if link.inward_id == issue.id else (inward, link.inward_id)
        other = emu.state.issues.get(other_id)
        if other is not None:
            other_key = escape(other.key)
            items.append(f'<li class="link">{escape(verb)} <a href="#{other_key}">{other_key}</a></li>')
    for remote_id in issue.remote_link_ids:
        remote = emu.state.remote_links.get(remote_id)
        if remote is not None:
            title = escape(str(remote.object.get("title") or remote.object.get("url") or "remote link"))
            items.append(f'<li class="link remote">{title}</li>')
    return f"<ul>{''.join(items)}</ul>" if items else ""


def _comments(emu: JiraEmulator, issue: Issue) -> str:
    items = [_comment(emu, emu.state.comments[cid]) for cid in issue.comment_ids if cid in emu.state.comments]
    return "".join(items)


def _comment(emu: JiraEmulator, comment: Comment) -> str:
    author = emu.accounts.get(comment.author)
    who = escape(author.display_name if author else comment.author)
    text = body_text(comment.body)
    if len(text) > COMMENT_CHARS:
        text = text[:COMMENT_CHARS] + "…"
    kind, badge = "public", ""
    if is_internal(comment.properties):
        kind, badge = "internal", '<span class="badge">internal note</span> '
    elif comment.visibility:
        scope = f"{comment.visibility.get('type', '')} {comment.visibility.get('value', '')}".strip()
        kind, badge = "restricted", f'<span class="badge">restricted to {escape(scope)}</span> '
    return (
        f'<div class="comment {kind}" data-visibility="{kind}">{badge}'
        f'<span class="muted">{who}, {escape(iso_utc(comment.created))}</span><br>{escape(text)}</div>'
    )
