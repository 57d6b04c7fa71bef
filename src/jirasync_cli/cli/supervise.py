"""``jirasync supervise``: one worker per valid config, restarts, ``/health``."""

from __future__ import annotations

from typing import Annotated

import typer  # noqa: F401  (Annotated options)

from jirasync_cli.cli.app import ConfigDirOption, app, config_dir_of
from jirasync_cli.settings import get_settings


@app.command("supervise")
def supervise(
    config_dir: ConfigDirOption = None,
    health_port: Annotated[
        int | None, typer.Option("--health-port", help="Port of /health (default: $JIRASYNC_HEALTH_PORT or 3000)")
    ] = None,
    health_host: Annotated[
        str | None, typer.Option("--health-host", help="Address to bind (default: $JIRASYNC_HEALTH_HOST or 0.0.0.0)")
    ] = None,
    reload_on_hup: Annotated[
        bool,
        typer.Option(
            "--reload-on-hup", help="Reload on SIGHUP even with stdin on a terminal (there it means hang-up: stop)"
        ),
    ] = False,
) -> None:
    """Run one worker per valid config, restart crashed or hung ones, serve /health."""
    from jirasync_cli.runtime.supervisor import exec_supervisor

    settings = get_settings().replace(
        config_dir=config_dir_of(config_dir),
        health_host=health_host,
        health_port=health_port,
        reload_on_hup=reload_on_hup,
    )
    exec_supervisor(settings)  # does not return
