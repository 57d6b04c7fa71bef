"""``jirasync state show|reset``: inspect or reset a pair's sync state."""

from __future__ import annotations

from typing import Annotated

import typer

from jirasync_cli.cli import render
from jirasync_cli.cli.app import ConfigDirOption, JsonOption, app, config_dir_of
from jirasync_cli.errors import JirasyncError
from jirasync_cli.settings import get_settings

state_app = typer.Typer(help="Inspect or reset a pair's sync state.", no_args_is_help=True)
app.add_typer(state_app, name="state")


@state_app.command("show")
def state_show(
    name: Annotated[str | None, typer.Argument(help="Pair name; all pairs when omitted")] = None,
    config_dir: ConfigDirOption = None,
    issue: Annotated[str | None, typer.Option("--issue", help="Show one issue's mapping and history")] = None,
    as_json: JsonOption = False,
) -> None:
    """Last sync, initial-sync flag, mapped issues, last cycle and recent actions per pair."""
    from jirasync_cli.cli.state_report import issue_state, pair_state
    from jirasync_cli.config.loader import load_config_dir
    from jirasync_cli.runtime.wiring import find_config

    settings = get_settings()
    directory = config_dir_of(config_dir)
    if name:
        configs = [find_config(directory, name)]
    else:
        configs = [c.config for c in load_config_dir(directory).configs]
        if not configs:
            raise JirasyncError(f"no valid sync-*.json in {directory}")
    if issue:
        if len(configs) != 1:
            raise JirasyncError("--issue needs a pair name", exit_code=2)
        data = issue_state(configs[0], settings, issue)
        if as_json:
            render.print_json(data)
        else:
            from jirasync_cli.cli.views import issue_view

            issue_view(data, render.console)
        return
    states = [pair_state(c, settings) for c in configs]
    if as_json:
        render.print_json(states if not name else states[0])
    else:
        from jirasync_cli.cli.views import state_table

        state_table(states, render.console)


@state_app.command("reset")
def state_reset(
    name: Annotated[str, typer.Argument(help="Pair name")],
    config_dir: ConfigDirOption = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation")] = False,
    forget_mappings: Annotated[
        bool, typer.Option("--forget-mappings", help="Also forget which dev issue belongs to which user issue")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Reset even while a worker holds the pair's lease")] = False,
) -> None:
    """Make the next run a full sync; mappings and snapshots are kept, so nothing is done twice."""
    from jirasync_cli.cli.state_report import describe_reset, lease_holder, reset_state
    from jirasync_cli.runtime.wiring import find_config

    config = find_config(config_dir_of(config_dir), name)
    holder = lease_holder(config, get_settings())
    if holder is not None and not force:
        raise JirasyncError(
            f"{config.name} is being synced by {holder.describe()}: stop that worker (remove "
            "the pair and send SIGHUP, or stop the supervisor) or pass --force",
            exit_code=3,
        )
    if holder is not None:
        render.err_console.print(
            f"warning: {config.name} is being synced by {holder.describe()}; resetting anyway",
            markup=False,
            soft_wrap=True,
        )
    what = (
        "sync state, snapshots, journal AND issue mappings"
        if forget_mappings
        else "sync state (issue mappings and snapshots kept)"
    )
    if not yes:
        try:
            agreed = typer.confirm(f"Reset {what} of {config.name} in database {config.db_name}?")
        except typer.Abort:  # end of input: the same as no, said once
            agreed = False
            render.err_console.print()
        if not agreed:
            render.err_console.print("aborted; nothing changed")
            raise typer.Exit(1)
    counts = reset_state(config, get_settings(), forget_mappings=forget_mappings)
    render.console.print(describe_reset(config.name, counts))
