"""``jirasync emulator``: the bundled Jira emulator, to try configs offline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from jirasync_cli.cli.app import app
from jirasync_cli.errors import JirasyncError


@app.command("emulator")
def emulator(
    mode: Annotated[
        str, typer.Option("--mode", help="cloud (search/jql, ADF bodies) or server (search, wiki text)")
    ] = "cloud",
    host: Annotated[str, typer.Option("--host", help="Address to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port (0 = any free port)")] = 8080,
    timezone: Annotated[str, typer.Option("--timezone", help="Server and account time zone")] = "Europe/Berlin",
    persist: Annotated[
        Path | None, typer.Option("--persist", help="Keep state in this JSON file across restarts")
    ] = None,
    seed_demo: Annotated[
        bool, typer.Option("--seed-demo/--no-seed-demo", help="Create demo projects and issues")
    ] = True,
    latency_ms: Annotated[float, typer.Option("--latency-ms", help="Added latency per request")] = 0.0,
    error_rate: Annotated[float, typer.Option("--error-rate", help="Fraction of requests answered 5xx")] = 0.0,
    rate_limit: Annotated[
        float, typer.Option("--rate-limit", help="Requests per second per account before 429 (0 = off)")
    ] = 0.0,
    screens: Annotated[
        str,
        typer.Option(
            "--screens",
            help="Create/edit screens of every project: default (no Linked Issues, like Jira's "
            "Default Screen), all, or minimal (summary only)",
        ),
    ] = "default",
) -> None:
    """Run the bundled Jira emulator, to try configs offline (bot token: emulator-token)."""
    from jirasync_cli.emulator.command import serve
    from jirasync_cli.emulator.screens import PRESETS

    if mode not in ("cloud", "server"):
        raise JirasyncError(f"--mode must be cloud or server, not {mode!r}", exit_code=2)
    _check_time_zone(timezone)
    if screens not in PRESETS:
        raise JirasyncError(f"--screens must be one of {', '.join(PRESETS)}, not {screens!r}", exit_code=2)
    try:
        code = serve(
            mode=mode,
            host=host,
            port=port,
            timezone=timezone,
            persist_path=persist,
            seed_demo=seed_demo,
            latency_ms=latency_ms or None,
            error_rate=error_rate,
            rate_limit_per_second=rate_limit or None,
            screens=screens,
        )
    except OSError as exc:
        raise JirasyncError(f"cannot start the emulator on {host}:{port}: {exc.strerror or exc}") from None
    raise typer.Exit(code)


def _check_time_zone(name: str) -> None:
    from zoneinfo import ZoneInfo

    try:
        ZoneInfo(name)
    except (KeyError, ValueError, OSError):  # ZoneInfoNotFoundError is a KeyError
        raise JirasyncError(
            f"--timezone: unknown time zone {name!r} (an IANA name such as Europe/Berlin)", exit_code=2
        ) from None
