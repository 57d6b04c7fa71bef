"""Real processes: `jirasync supervise` / `run-worker` as subprocesses against the emulator and
a real MongoDB server. Time bounds are generous: the benchmarks measure real latencies."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from jirasync_cli.emulator import Account, JiraEmulator, Workflow, default_accounts
from tests.fixtures.emulator import Project
from tests.fixtures.supervisor import FAST, PAIRS, Supervisor
from tests.helpers import sync_config, write_config


@pytest.fixture
def emu(make_emu: Callable[..., JiraEmulator]) -> JiraEmulator:
    """Cloud, with the projects of every pair in PAIRS and a second bot account."""
    accounts = default_accounts() + [
        Account("jirasync-bot-2", "jirasync bot (standby site)", "bot2@example.com", "emulator-token-2", role="bot")
    ]
    projects = [
        p
        for _, user, dev in PAIRS
        for p in (Project(user, workflow=Workflow.user_default()), Project(dev, workflow=Workflow.dev_default()))
    ]
    return make_emu("cloud", accounts=accounts, projects=projects)


@pytest.fixture
def deploy(emu: JiraEmulator, mongo_url: str, tmp_path: Path) -> Iterator[Callable[..., Supervisor]]:
    """``deploy(pairs, **config_overrides)`` → a started supervisor over those pairs; every
    override replaces a top-level key of each pair's config (``syncIntervalMinutes`` is FAST
    unless overridden). Everything it started is stopped, by pid if need be, at teardown."""
    started: list[Supervisor] = []

    def make(
        pairs: list[tuple[str, str, str]] = PAIRS[:3],
        config_dir: Path | None = None,
        token: str = "emulator-token",
        email: str = "bot@example.com",
        databases: dict[str, str] | None = None,
        env: dict[str, str] | None = None,
        start: bool = True,
        popen: dict[str, Any] | None = None,
        args: tuple[str, ...] = (),
        **overrides: Any,
    ) -> Supervisor:
        directory = config_dir or tmp_path / f"config{len(started)}"
        for name, user, dev in pairs:
            doc = sync_config(
                name,
                emu.url,
                user,
                dev,
                token=token,
                email=email,
                database=databases[name] if databases else None,
                **{"syncIntervalMinutes": FAST, **overrides},
            )
            write_config(directory, doc)
        sup = Supervisor(
            emu, mongo_url, directory, tmp_path / f"supervisor{len(started)}.log", popen=popen, args=args, **(env or {})
        )
        started.append(sup)
        return sup.start() if start else sup

    yield make
    for sup in started:
        sup.shutdown()
