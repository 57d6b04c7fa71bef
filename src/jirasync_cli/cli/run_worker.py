"""``jirasync run-worker``: one pair, forever or ``--once`` (with ``--dry-run``)."""

from __future__ import annotations

from typing import Annotated

import typer

from jirasync_cli.cli import render
from jirasync_cli.cli.app import (
    ConfigDirOption,
    JsonOption,
    app,
    config_dir_of,
    setup_logging,
)
from jirasync_cli.errors import JirasyncError
from jirasync_cli.settings import get_settings


@app.command("run-worker")
def run_worker(
    name: Annotated[str, typer.Argument(help="Pair name (or its file, e.g. sync-ab.json)")],
    config_dir: ConfigDirOption = None,
    once: Annotated[bool, typer.Option("--once", help="Run one cycle, print what it did, exit")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="With --once: print the plan, write nothing")] = False,
    as_json: JsonOption = False,
    show_unhandled: Annotated[
        bool, typer.Option("--show-unhandled", help="With --once: list the issues whose new status no rule handles")
    ] = False,
    ipc_fd: Annotated[int | None, typer.Option("--ipc-fd", hidden=True, help="Supervisor channel (internal)")] = None,
) -> None:
    """Sync one pair: every syncIntervalMinutes, or a single cycle with --once."""
    from jirasync_cli.runtime.wiring import find_config

    needs_once = [
        flag
        for flag, given in (("--dry-run", dry_run), ("--json", as_json), ("--show-unhandled", show_unhandled))
        if given
    ]
    if needs_once and not once:
        raise JirasyncError(
            f"{', '.join(needs_once)} {'needs' if len(needs_once) == 1 else 'need'} --once "
            "(without it the worker runs until stopped and prints only logs)",
            exit_code=2,
        )
    settings = get_settings()
    if not once:
        from jirasync_cli.runtime.worker import main as worker_main
        from jirasync_cli.runtime.worker import supervised_main

        if ipc_fd is not None:
            raise typer.Exit(supervised_main(name, ipc_fd))
        raise typer.Exit(worker_main(name, config_dir_of(config_dir), settings))
    config = find_config(config_dir_of(config_dir), name)
    setup_logging(config.name)
    report = _run_once_with_progress(config, settings, dry_run, as_json)
    if as_json:
        from jirasync_cli.cli.views import plan_rows

        render.print_json({**report.summary(), **({"plan": plan_rows(report)} if dry_run else {})})
    else:
        from jirasync_cli.cli.views import cycle_table, plan_table

        if dry_run:
            plan_table(report, render.console)
        else:
            cycle_table(report, render.console, show_unhandled=show_unhandled)
    raise typer.Exit(1 if report.errors else 0)


def _run_once_with_progress(config, settings, dry_run: bool, quiet: bool):  # type: ignore[no-untyped-def]
    from jirasync_cli.cli.progress import cycle_progress
    from jirasync_cli.runtime.once import run_once

    with cycle_progress(render.err_console, disable=quiet) as hooks:
        return run_once(config, settings, dry_run=dry_run, progress=hooks)
