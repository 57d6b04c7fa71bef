"""``jirasync dev-mongo``: a MongoDB-compatible server to try configs on one machine.

It is the embedded server of the ``embedded`` extra (see :mod:`jirasync_cli.doubles.mongo`),
a test double: for trying things, never for production.
"""

from __future__ import annotations

import signal
import socket
import threading
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from jirasync_cli.cli import render
from jirasync_cli.cli.app import app
from jirasync_cli.doubles.mongo import EmbeddedMongo, find_server
from jirasync_cli.errors import JirasyncError

DEFAULT_PORT = 27017  # JIRASYNC_MONGODB_URL's default points here: nothing else to set


def _check_port(port: int) -> None:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as exc:
            raise JirasyncError(
                f"cannot use port {port} (--port): {exc.strerror or exc}; is a MongoDB already running there?"
            ) from None


def serve(data: Path | None, port: int, console: Console) -> int:
    if find_server() is None:
        raise JirasyncError(
            "the embedded MongoDB server is not installed: pip install 'jirasync[embedded]' "
            "(from a source checkout: python3 tools/dev.py jirasync dev-mongo)"
        )
    _check_port(port)
    if data is not None:
        data.mkdir(parents=True, exist_ok=True)
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    mongo = EmbeddedMongo(port=port, storage_path=data)
    try:
        mongo.start()
        console.print(f"MongoDB-compatible server for trying jirasync: {mongo.url}", soft_wrap=True)
        console.print(
            f"data: {data.resolve() if data else 'in memory (gone when stopped; --data DIR keeps it)'}", soft_wrap=True
        )
        if port != DEFAULT_PORT:
            console.print(f"in another shell: export JIRASYNC_MONGODB_URL='{mongo.url}'", soft_wrap=True)
        console.print("not for production. Ctrl-C to stop")
        while not stop.wait(0.5):
            if mongo.process is None or mongo.process.poll() is not None:
                raise JirasyncError("the embedded MongoDB server stopped unexpectedly")
    finally:
        mongo.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    console.print("stopped")
    return 0


@app.command("dev-mongo")
def dev_mongo(
    data: Annotated[
        Path | None, typer.Option("--data", help="Keep the data in this directory (default: in memory)")
    ] = None,
    port: Annotated[
        int, typer.Option("--port", min=1, max=65535, help="Port (27017 is where jirasync looks by default)")
    ] = 27017,
) -> None:
    """Run a MongoDB-compatible server on this machine to try configs (not for production)."""
    raise typer.Exit(serve(data, port, render.err_console))
