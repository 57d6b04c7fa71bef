"""Turn results into tables (rich) and reports (JSON-ready dicts) for the CLI."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from jirasync_cli.config import LoadResult


def validation_report(result: LoadResult) -> dict[str, Any]:
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
        "error": _empty_reason(result),
    }


def _empty_reason(result: LoadResult) -> str | None:
    if result.missing_directory:
        return f"config directory {result.directory} does not exist"
    if not result.configs and not result.problems:
        return f"no sync-*.json files in {result.directory}"
    return None


def validation_table(result: LoadResult, console: Console) -> None:
    table = Table(title=f"Sync configs in {escape(result.directory)}")
    for column in ("file", "name", "projects", "interval", "rules", "status"):
        table.add_column(column)
    for loaded in result.configs:
        cfg = loaded.config
        interval = f"{cfg.sync_interval_minutes:g} min" if cfg.sync_interval_minutes else "default"
        table.add_row(
            escape(loaded.file), escape(cfg.name), f"{cfg.user_project_key} → {cfg.dev_project_key}",
            interval, str(len(cfg.rules)), "[green]valid[/]",
        )
    for file in sorted({p.file for p in result.problems}):
        table.add_row(escape(file), "", "", "", "", "[red]invalid[/]")
    if table.row_count:
        console.print(table)
    for problem in result.problems:
        console.print(f"[red]✗[/] {escape(problem.line())}", soft_wrap=True)
    reason = _empty_reason(result)
    if reason:
        console.print(f"[red]✗[/] {escape(reason)}")
    elif result.ok:
        console.print(f"[green]✓[/] {len(result.configs)} config(s) valid")
    else:
        console.print(f"[red]{len({p.file for p in result.problems})} invalid file(s)[/], {len(result.configs)} valid")
