"""The ``jirasync`` Typer app, its shared options and its error boundary.

Each command lives in its own module of this package and registers itself on :data:`app`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from typer.core import TyperGroup

from jirasync_cli import __version__
from jirasync_cli.cli import render
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
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:  # a bug: one line, the traceback only on request
            if os.environ.get("JIRASYNC_DEBUG") or type(exc).__module__.startswith(("click", "typer")):
                raise  # usage errors and the like are the framework's to report
            render.error(f"internal error: {type(exc).__name__}: {exc} (set JIRASYNC_DEBUG=1 for a traceback)")
            raise typer.Exit(70) from None


app = typer.Typer(
    cls=_Group,
    name="jirasync",
    help="Keep pairs of Jira projects (customer-facing and internal) in sync.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

ConfigDirOption = Annotated[
    Path | None,
    typer.Option(
        "--config-dir", "-c", help="Directory holding sync-*.json (default: $JIRASYNC_CONFIG_DIR or ./config)"
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON instead of a table")]


def config_dir_of(option: Path | None) -> Path:
    return option if option is not None else get_settings().config_dir


def _version(value: bool) -> None:
    if value:
        print(__version__)
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit")
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log at DEBUG (sets JIRASYNC_LOG_LEVEL)")] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Log warnings and errors only (sets JIRASYNC_LOG_LEVEL)")
    ] = False,
) -> None:
    """Keep pairs of Jira projects in sync."""
    if verbose and quiet:
        raise JirasyncError("--verbose and --quiet exclude each other", exit_code=2)
    if verbose or quiet:  # through the environment, so workers a supervisor starts log alike
        os.environ["JIRASYNC_LOG_LEVEL"] = "DEBUG" if verbose else "WARNING"
        get_settings.cache_clear()


def setup_logging(worker: str | None = None) -> None:
    from jirasync_cli import logs

    settings = get_settings()
    logs.configure(settings.log_level, settings.log_format, worker=worker, console=render.err_console)
