"""The ``jirasync`` command line: parse arguments, call the package, print results.

No sync logic lives here: one module per command, each a thin layer over the package.
Every command offers ``--json`` where it reads something, and every failure the user can
cause ends as one red line and a non-zero exit code (see :mod:`jirasync_cli.cli.app`).
"""

from __future__ import annotations

import importlib
import sys

from jirasync_cli.cli.app import app

# Importing a command module registers its commands; this order is the order of --help.
COMMAND_MODULES = (
    "validate",
    "check",
    "run_worker",
    "state",
    "supervise",
    "health",
    "emulator",
    "webhooks",
    "dev_mongo",
    "demo",
)
for _module in COMMAND_MODULES:
    importlib.import_module(f"jirasync_cli.cli.{_module}")

__all__ = ["app", "main"]


def main() -> None:
    """Console entry point."""
    try:
        app(prog_name="jirasync")  # also under `python -m jirasync_cli`: help and completion name the command
    except KeyboardInterrupt:
        sys.exit(130)
