"""The ``jirasync`` command line: parse arguments, call the package, print results.

No sync logic lives here. Every command offers ``--json`` where it reads something, and
every failure the user can cause ends as one red line and a non-zero exit code.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from typer.core import TyperGroup

from jirasync_cli import __version__, render
from jirasync_cli.errors import JirasyncError
from jirasync_cli.settings import get_settings

class _Group(TyperGroup):
    """Turns a :class:`JirasyncError` from any command into one red line and its exit code."""

    def invoke(self, ctx):  # type: ignore[no-untyped-def]
        try:
            return super().invoke(ctx)
        except JirasyncError as exc:
            render.error(str(exc))
            raise typer.Exit(exc.exit_code) from None


app = typer.Typer(
    cls=_Group,
    name="jirasync",
    help="Keep pairs of Jira projects (customer-facing and internal) in sync.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

ConfigDirOption = Annotated[
    Path | None,
    typer.Option("--config-dir", "-c", help="Directory holding sync-*.json (default: $JIRASYNC_CONFIG_DIR or ./config)"),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON instead of a table")]


def _config_dir(option: Path | None) -> Path:
    return option if option is not None else get_settings().config_dir


def _version(value: bool) -> None:
    if value:
        print(__version__)
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit")] = False,
) -> None:
    """Keep pairs of Jira projects in sync."""


@app.command("validate-configs")
def validate_configs(
    config_dir: ConfigDirOption = None,
    as_json: JsonOption = False,
    schema: Annotated[bool, typer.Option("--schema", help="Print the JSON Schema of a sync-*.json file and exit")] = False,
) -> None:
    """Check every sync-*.json in the config dir: exit 0 if all valid, 1 if any is invalid or none found."""
    from jirasync_cli.config import config_json_schema, load_config_dir
    from jirasync_cli.views import validation_report, validation_table

    if schema:
        print(json.dumps(config_json_schema(), indent=2))
        return
    result = load_config_dir(_config_dir(config_dir))
    report = validation_report(result)
    if as_json:
        render.print_json(report)
    else:
        validation_table(result, render.console)
    raise typer.Exit(0 if result.ok else 1)


def main() -> None:
    """Console entry point."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
