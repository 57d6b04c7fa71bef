"""Turn results into tables (rich) and reports (JSON-ready dicts) for the CLI."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from jirasync_cli.config.loader import LoadResult, Problem
from jirasync_cli.config.models import public_comment_warnings
from jirasync_cli.sync.actions import (
    Action,
    AddComment,
    AdoptMapping,
    CreateDevIssue,
    DeleteMirror,
    EditDevIssue,
    MirrorComment,
    TransitionIssue,
    UpdateMirror,
)
from jirasync_cli.sync.records import AuditEvent

if TYPE_CHECKING:
    from jirasync_cli.sync.cycle import CycleReport
    from jirasync_cli.sync.plan import UnitPlan


def validation_report(result: LoadResult, unset: list[Problem] | None = None) -> dict[str, Any]:
    """``unset``: problems of variables that are only missing here (warnings, see config.lenient)."""
    invalid_files = sorted({p.file for p in result.problems})
    return {
        "configDir": result.directory,
        "ok": result.ok,
        "valid": [
            {
                "file": c.file,
                "name": c.config.name,
                "database": c.config.database,
                "userProjectKey": c.config.user_project_key,
                "devProjectKey": c.config.dev_project_key,
                "syncIntervalMinutes": c.config.sync_interval_minutes,
                "rules": len(c.config.rules),
            }
            for c in result.configs
        ],
        "invalid": invalid_files,
        "problems": [p.as_dict() for p in result.problems],
        "warnings": [{"file": p.file, "message": f"{p.path}: {p.reason}"} for p in unset or []]
        + [{"file": c.file, "message": m} for c in result.configs for m in public_comment_warnings(c.config)],
        "error": _empty_reason(result),
    }


def _empty_reason(result: LoadResult) -> str | None:
    if result.missing_directory:
        return f"config directory {result.directory} does not exist"
    if not result.configs and not result.problems:
        return f"no sync-*.json files in {result.directory}"
    return None


def validation_table(result: LoadResult, console: Console, unset: list[Problem] | None = None) -> None:
    table = Table(title=f"Sync configs in {escape(result.directory)}")
    for column in ("file", "name", "projects", "interval", "rules", "status"):
        table.add_column(column)
    for loaded in result.configs:
        cfg = loaded.config
        interval = f"{cfg.sync_interval_minutes:g} min" if cfg.sync_interval_minutes else "default"
        table.add_row(
            escape(loaded.file),
            escape(cfg.name),
            f"{cfg.user_project_key} → {cfg.dev_project_key}",
            interval,
            str(len(cfg.rules)),
            "[green]valid[/]",
        )
    for file in sorted({p.file for p in result.problems}):
        table.add_row(escape(file), "", "", "", "", "[red]invalid[/]")
    if table.row_count:
        console.print(table)
    for problem in result.problems:
        console.print(f"[red]✗[/] {escape(problem.line())}", soft_wrap=True)
    for problem in unset or []:
        console.print(
            f"[yellow]![/] {escape(problem.line())} (needed to run; --require-env makes this an error)", soft_wrap=True
        )
    for loaded in result.configs:
        for message in public_comment_warnings(loaded.config):
            console.print(f"[yellow]![/] {escape(loaded.file)}: {escape(message)}", soft_wrap=True)
    reason = _empty_reason(result)
    if reason:
        console.print(f"[red]✗[/] {escape(reason)}")
    elif result.ok:
        console.print(f"[green]✓[/] {len(result.configs)} config(s) valid")
    else:
        console.print(f"[red]{len({p.file for p in result.problems})} invalid file(s)[/], {len(result.configs)} valid")


def cycle_table(report: CycleReport, console: Console, show_unhandled: bool = False) -> None:
    mode = "dry run" if report.dry_run else report.mode
    title = f"{report.pair}: {mode} cycle, {report.issues_seen} issue(s) seen, {report.jira_requests} Jira request(s)"
    table = Table(title=escape(title))
    table.add_column("action")
    table.add_column("count", justify="right")
    for kind, count in sorted(report.actions.items()):
        table.add_row(kind.replace("_", " "), str(count))
    if table.row_count:
        console.print(table)
    else:
        console.print(f"[bold]{escape(title)}[/]: nothing to do")
    for user_key, dev_key in report.created:
        console.print(f"  created {escape(dev_key)} for {escape(user_key)}")
    if report.counts()["created"] > len(report.created):  # a report lists the first ones only
        console.print(f"  ... and {report.counts()['created'] - len(report.created)} more created")
    if show_unhandled:
        for line in report.unhandled:
            console.print(f"  [yellow]{escape(line)}[/]")
    elif report.unhandled:
        console.print(
            f"  {len(report.unhandled)} issue(s) moved to a status no rule handles (--show-unhandled lists them)"
        )
    for line in report.deferred:
        console.print(f"  [yellow]deferred[/] {escape(line)}")
    for line in report.errors:
        console.print(f"  [red]error[/] {escape(line)}", soft_wrap=True)
    if report.counts()["errors"] > len(report.errors):
        console.print(f"  ... and {report.counts()['errors'] - len(report.errors)} more errors (see the log)")


def plan_rows(report: CycleReport) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for unit in report.plan.units if report.plan else []:
        for action in unit.actions:
            rows.append(
                {
                    "user": unit.user_key,
                    "dev": unit.dev_key,
                    "action": action.kind,
                    "detail": _describe(action, unit, report.pair),
                }
            )
        for note in unit.notes:
            rows.append({"user": unit.user_key, "dev": unit.dev_key, "action": AuditEvent.NOTE, "detail": note.text})
    return rows


NEW_DEV_ISSUE = "<new dev issue>"


def planned_comment(action: AddComment, unit: UnitPlan, pair: str) -> str:
    """A template comment as it will read: placeholders filled with what is known now, and
    ``<new dev issue>`` for the key of a dev issue the same cycle creates."""
    from jirasync_cli.sync.rules import render_template

    source_is_user = action.source_key == unit.user_key
    target_key = unit.dev_key if source_is_user else unit.user_key
    creating = any(isinstance(a, CreateDevIssue) for a in unit.actions)
    if target_key is None and creating:
        target_key = NEW_DEV_ISSUE
    source_issue = unit.user if source_is_user else unit.dev
    values = {
        "sourceKey": action.source_key,
        "targetKey": target_key,
        "sourceStatus": action.source_status,
        "targetStatus": action.target_status,
        "summary": source_issue.summary if source_issue else None,
        "ruleId": action.rule_id,
        "pair": pair,
        "sourceProject": action.source_key.rsplit("-", 1)[0],
        "targetProject": target_key.rsplit("-", 1)[0] if target_key and target_key != NEW_DEV_ISSUE else None,
    }
    return render_template(action.template, {k: str(v) for k, v in values.items() if v is not None})


def _describe(action: Action, unit: UnitPlan | None = None, pair: str = "") -> str:
    match action:
        case CreateDevIssue():
            return f"{action.issuetype} {action.fields.get('summary', '')!r}" + (" + link" if action.link else "")
        case TransitionIssue():
            return f"{action.side} issue → {action.target_status} (rule {action.rule_id})"
        case AddComment():
            audience = " (internal note)" if action.internal else ""
            text = planned_comment(action, unit, pair) if unit is not None else action.template
            return f"on {action.side} issue{audience}: {text!r} (rule {action.rule_id})"
        case MirrorComment() | UpdateMirror():
            r = action.restriction
            audience = "".join(
                [
                    f" restricted to {r.visibility['type']} {r.visibility['value']}" if r.visibility else "",
                    " as an internal note" if r.internal else "",
                ]
            )
            return (
                f"{action.source_key} comment {action.comment.id} by {action.comment.author_name} → "
                f"{action.side}{audience}"
            )
        case DeleteMirror():
            return f"remove the copy of {action.source_key} comment {action.comment_id} ({action.reason})"
        case EditDevIssue():
            return "fields " + ", ".join(sorted(action.fields))
        case AdoptMapping():
            return f"re-link {action.dev_key} (from its source property)"
    return str(action.kind)


def plan_table(report: CycleReport, console: Console) -> None:
    rows = plan_rows(report)
    table = Table(title=f"{escape(report.pair)}: plan ({report.mode}, dry run: nothing written)")
    for column in ("user", "dev", "action", "detail"):
        table.add_column(column)
    for row in rows:
        table.add_row(*(escape(str(row[c] or "")) for c in ("user", "dev", "action", "detail")))
    if rows:
        console.print(table)
    else:
        console.print(f"[bold]{escape(report.pair)}[/]: nothing to do ({report.issues_seen} issue(s) seen)")


def state_table(states: list[dict[str, Any]], console: Console) -> None:
    table = Table(title="Sync state")
    for column in ("pair", "database", "last sync", "initial sync", "mapped", "last cycle"):
        table.add_column(column)
    for s in states:
        last = s.get("lastCycle") or {}
        result = (
            f"{last.get('result', '-')} ({last.get('mode', '')}, {sum((last.get('actions') or {}).values())} action(s))"
            if last
            else "-"
        )
        mapped = s["mappings"]["linked"]
        pending = s["mappings"]["pending"]
        failed = s["mappings"].get("failed", 0)
        table.add_row(
            escape(s["name"]),
            escape(s["database"]),
            escape(str(s["lastSync"] or "never")),
            "done" if s["initialSyncCompleted"] else "pending",
            f"{mapped}"
            + (f" (+{pending} pending)" if pending else "")
            + (f" ({failed} refused by Jira)" if failed else ""),
            escape(result),
        )
    console.print(table)
    for s in states:
        counters = s.get("counters") or {}
        if counters:
            console.print(
                f"[bold]{escape(s['name'])}[/] since the last reset: "
                + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in sorted(counters.items()))
            )
        if s.get("retrying"):
            console.print(f"[yellow]{escape(s['name'])}: retrying {', '.join(map(escape, s['retrying']))}[/]")
        recent = s.get("recentActions") or []
        if recent:
            console.print(f"[bold]{escape(s['name'])}[/] recent actions:")
            for entry in recent:
                console.print(
                    f"  {escape(str(entry.get('ts', ''))[:19])}  {escape(entry.get('action', ''))}"
                    f"  {escape(' '.join(entry.get('keys') or []))}  {escape(entry.get('result', ''))}"
                    f"  {escape(_short(entry.get('detail')))}",
                    soft_wrap=True,
                )


def issue_view(data: dict[str, Any], console: Console) -> None:
    mapping = data.get("mapping")
    if mapping:
        console.print(
            f"[bold]{escape(mapping['userKey'])}[/] ↔ [bold]{escape(str(mapping['devKey']))}[/]"
            f"  ({mapping['state']}{', linked' if mapping['linked'] else ''})"
        )
    else:
        console.print(f"[bold]{escape(data['key'])}[/]: not mapped")
    for key, snap in (data.get("snapshots") or {}).items():
        console.print(
            f"  {escape(key)}: status {escape(str(snap['status']))}, comments seen {snap['commentsSeen']},"
            f" written {snap['commentsWritten']}"
        )
    for entry in data.get("history") or []:
        console.print(
            f"  {escape(str(entry.get('ts', ''))[:19])}  {escape(entry.get('action', ''))}  "
            f"{escape(entry.get('result', ''))}  {escape(_short(entry.get('detail')))}",
            soft_wrap=True,
        )


def _short(detail: Any) -> str:
    if not detail:
        return ""
    if isinstance(detail, dict):
        return ", ".join(f"{k}={v}" for k, v in detail.items() if v not in (None, "", []))
    return str(detail)


def health_table(doc: dict[str, Any], console: Console) -> None:
    status = doc.get("status", "unknown")
    colour = {"healthy": "green", "degraded": "yellow"}.get(status, "red")
    console.print(f"status: [bold {colour}]{escape(status)}[/]")
    workers = doc.get("workers") or []
    if workers:
        table = Table()
        for column in ("worker", "state", "pid", "restarts", "last heartbeat", "last cycle", "rss", "error"):
            table.add_column(column)
        for w in workers:
            cycle = w.get("last_cycle") or {}
            rss = f"{w['rss_bytes'] / 1e6:.0f} MB" if w.get("rss_bytes") else ""
            table.add_row(
                escape(w.get("name", "")),
                escape(w.get("state", "")),
                str(w.get("pid") or ""),
                str(w.get("restarts", "")),
                escape(str(w.get("last_heartbeat") or "")),
                escape(str(cycle.get("result") or "")),
                rss,
                escape(str(w.get("error") or "")),
            )
        console.print(table)
    for error in doc.get("errors") or []:
        console.print(f"[red]✗[/] {escape(str(error))}", soft_wrap=True)
