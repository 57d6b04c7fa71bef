"""``jirasync demo``: the self-contained demo (emulator, embedded MongoDB, supervisor, people)."""

from __future__ import annotations

from typing import Annotated

import typer

from jirasync_cli.cli.app import app


@app.command("demo")
def demo(
    duration: Annotated[
        float, typer.Option("--duration", min=5, help="Seconds the people act before the summary")
    ] = 60.0,
    pairs: Annotated[int, typer.Option("--pairs", min=1, max=8, help="Number of user/dev project pairs")] = 2,
    keep_running: Annotated[
        bool, typer.Option("--keep-running", help="Keep syncing after --duration until Ctrl-C")
    ] = False,
    health_port: Annotated[int, typer.Option("--health-port", help="Port of the supervisor's /health")] = 3000,
) -> None:
    """See jirasync work with no Jira and no MongoDB: emulator, embedded store, supervisor, people."""
    from rich.console import Console

    from jirasync_cli.demo.run import run_demo

    # Its own console: the demo's panels fill the terminal width, the piped default of
    # render.console (no cut rows) would make them very wide.
    raise typer.Exit(
        run_demo(
            duration=duration,
            pairs=pairs,
            keep_running=keep_running,
            health_port=health_port,
            console=Console(highlight=False),
        )
    )
