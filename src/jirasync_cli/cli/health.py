"""``jirasync health``: print a supervisor's status (exit code for HEALTHCHECK), or serve it from MongoDB."""

from __future__ import annotations

from pathlib import Path
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


@app.command("health")
def health(
    url: Annotated[
        str | None,
        typer.Option("--url", help="Health endpoint (default: http://localhost:$JIRASYNC_HEALTH_PORT/health)"),
    ] = None,
    as_json: JsonOption = False,
    serve: Annotated[bool, typer.Option("--serve", help="Serve /health from heartbeats stored in MongoDB")] = False,
    config_dir: ConfigDirOption = None,
    health_port: Annotated[int | None, typer.Option("--health-port", help="With --serve: port to listen on")] = None,
    timeout: Annotated[
        float | None, typer.Option("--timeout", help="Seconds to wait for the endpoint (default 5)")
    ] = None,
) -> None:
    """Print the supervisor's status; exit 0 healthy, 1 degraded, 2 unhealthy or unreachable."""
    from jirasync_cli.health.probe import exit_code, fetch

    given = {
        "--url": url is not None,
        "--json": as_json,
        "--timeout": timeout is not None,
        "--config-dir": config_dir is not None,
        "--health-port": health_port is not None,
    }
    wrong = [
        o for o in (("--config-dir", "--health-port") if not serve else ("--url", "--json", "--timeout")) if given[o]
    ]
    if wrong:
        mode = (
            "it serves /health and prints nothing"
            if serve
            else "without --serve it queries a running supervisor: use --url http://HOST:PORT/health"
        )
        raise JirasyncError(
            f"{', '.join(wrong)} {'does' if len(wrong) == 1 else 'do'} not apply "
            f"{'with' if serve else 'without'} --serve ({mode})",
            exit_code=2,
        )
    settings = get_settings()
    if serve:
        _serve_health_from_mongo(settings, config_dir_of(config_dir), health_port)
        return
    doc = fetch(url or f"http://localhost:{settings.health_port}/health", timeout=timeout or 5.0)
    if as_json:
        from jirasync_cli.cli.jsonkeys import camel_keys

        render.print_json(camel_keys(doc))
    else:
        from jirasync_cli.cli.views import health_table

        health_table(doc, render.console)
    raise typer.Exit(exit_code(doc.get("status", "")))


def _serve_health_from_mongo(settings, config_dir: Path, port: int | None) -> None:  # type: ignore[no-untyped-def]
    import signal
    import threading

    from jirasync_cli.health.http import HealthServer
    from jirasync_cli.health.probe import mongo_health

    setup_logging("health")
    bind = port if port is not None else settings.health_port
    try:
        server = HealthServer(settings.health_host, bind, lambda: mongo_health(settings, config_dir), refresh=2.0)
        server.start()
    except OSError as exc:
        where = "--health-port" if port is not None else "JIRASYNC_HEALTH_PORT"
        raise JirasyncError(
            f"cannot serve health on {settings.health_host}:{bind} ({where}): {exc.strerror or exc}"
        ) from None
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    render.err_console.print(f"serving {server.url}/health from MongoDB heartbeats (Ctrl-C to stop)")
    stop.wait()
    server.stop()
