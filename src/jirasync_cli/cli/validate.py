"""``jirasync validate-configs``: check every sync-*.json, report each bad file by field."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from jirasync_cli.cli import render
from jirasync_cli.cli.app import ConfigDirOption, JsonOption, app, config_dir_of


@app.command("validate-configs")
def validate_configs(
    config_dir: ConfigDirOption = None,
    as_json: JsonOption = False,
    schema: Annotated[
        bool, typer.Option("--schema", help="Print the JSON Schema of a sync-*.json file and exit")
    ] = False,
    require_env: Annotated[
        bool,
        typer.Option(
            "--require-env", help="An unset ${VAR} makes a file invalid (default: a warning, for CI without secrets)"
        ),
    ] = False,
) -> None:
    """Check every sync-*.json in the config dir: exit 0 if all valid, 1 if any is invalid or none found."""
    from jirasync_cli.cli.views import validation_report, validation_table
    from jirasync_cli.config.lenient import load_for_validation
    from jirasync_cli.config.models import config_json_schema

    if schema:
        print(json.dumps(config_json_schema(), indent=2))
        return
    result, unset = load_for_validation(config_dir_of(config_dir), require_env=require_env)
    report = validation_report(result, unset)
    if as_json:
        render.print_json(report)
    else:
        validation_table(result, render.console, unset)
    raise typer.Exit(0 if result.ok else 1)
