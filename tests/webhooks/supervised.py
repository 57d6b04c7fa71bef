"""A supervisor with webhooks on, over the emulator and the embedded MongoDB, and the pair's
webhook registered by `jirasync webhooks register` (shared by tests and bench)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from jirasync_cli.emulator import JiraEmulator
from tests.helpers import cli_env, jirasync, sync_config, wait_for, write_config
from tests.process.conftest import Supervisor

SECRET = "webhook-secret-for-tests-7c1d"


def hooked_config(
    emu: JiraEmulator,
    name: str,
    user: str,
    dev: str,
    *,
    poll_minutes: float = 30.0,
    debounce: float = 0.3,
    recheck: float = 1.0,
    enabled: bool = True,
    **overrides: Any,
) -> dict[str, Any]:
    return sync_config(
        name,
        emu.url,
        user,
        dev,
        webhooks={
            "enabled": enabled,
            "pollIntervalMinutes": poll_minutes,
            "debounceSeconds": debounce,
            "recheckSeconds": recheck,
        },
        **overrides,
    )


def start(
    emu: JiraEmulator,
    mongo_url: str,
    directory: Path,
    log: Path,
    docs: list[dict[str, Any]],
    secret: str | None = SECRET,
    register: bool = True,
) -> Supervisor:
    for doc in docs:
        write_config(directory, doc)
    env = {"JIRASYNC_WEBHOOK_SECRET": secret} if secret else {}
    sup = Supervisor(emu, mongo_url, directory, log, **env).start()
    names = [d["name"] for d in docs]
    sup.wait_running(names)
    wait_for(lambda: all(sup.worker(n)["cycles"] >= 1 for n in names), 60, interval=0.2, message="first cycles")
    if register:
        for name in names:
            done = jirasync(
                "webhooks",
                "register",
                name,
                "--url",
                f"http://127.0.0.1:{sup.port}",
                "--json",
                env=cli_env(mongo_url, directory, **env),
            )
            assert done.returncode == 0, done.stderr
            assert json.loads(done.stdout)["outcome"] == "created"
    return sup


def cycles(sup: Supervisor, name: str) -> int:
    return int(sup.worker(name)["cycles"])


def settle(sup: Supervisor, name: str, quiet: float = 1.5, timeout: float = 30) -> int:
    """Wait until the pair's cycle count stays put for ``quiet`` seconds; returns it."""
    deadline = time.monotonic() + timeout
    last, since = cycles(sup, name), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.2)
        now = cycles(sup, name)
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return now
    raise AssertionError(f"{name} kept cycling for {timeout}s")


def dev_partner(emu: JiraEmulator, key: str, dev: str = "DEV") -> str | None:
    return next((link["key"] for link in emu.issue(key)["links"] if link["key"].startswith(dev + "-")), None)
