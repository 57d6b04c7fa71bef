"""Fixtures for end-to-end tests: emulator (Cloud and Server flavours), projects, a pair runtime."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from jirasync_cli.config import PairConfig
from jirasync_cli.config.models import SyncPairConfig
from jirasync_cli.emulator import JiraEmulator, Workflow
from jirasync_cli.settings import Settings
from tests.helpers import sync_config


@pytest.fixture(params=["cloud", "server"])
def emu(request) -> Iterator[JiraEmulator]:
    emulator = JiraEmulator(mode=request.param, timezone="America/New_York").start()
    emulator.add_project("USER", name="Customer Support", workflow=Workflow.user_default())
    emulator.add_project("DEV", name="Engineering", workflow=Workflow.dev_default())
    yield emulator
    emulator.stop()


@pytest.fixture
def cloud_emu() -> Iterator[JiraEmulator]:
    emulator = JiraEmulator(mode="cloud", timezone="Asia/Kolkata").start()
    emulator.add_project("USER", name="Customer Support", workflow=Workflow.user_default())
    emulator.add_project("DEV", name="Engineering", workflow=Workflow.dev_default())
    yield emulator
    emulator.stop()


@dataclass
class Pair:
    emu: JiraEmulator
    config: PairConfig
    settings: Settings
    config_dir: Path

    def cycle(self, **kwargs: Any):
        from jirasync_cli.runtime.once import run_once

        return run_once(self.config, self.settings, **kwargs)

    def store(self):
        from jirasync_cli.runtime.wiring import open_store

        return open_store(self.config, self.settings)

    def writes(self) -> list[Any]:
        return [e for e in self.emu.request_log if e.method in ("POST", "PUT", "DELETE")]


def escalate_issues(emu: JiraEmulator, n: int = 2) -> list[str]:
    """``n`` user issues an agent moved to Will Do (the escalation rule's trigger)."""
    keys = []
    for i in range(n):
        key = emu.create_issue("USER", summary=f"Problem {i}", as_account="alice")
        emu.transition(key, "Will Do", as_account="alice")
        keys.append(key)
    return keys


def make_pair(emu: JiraEmulator, mongo_url: str, tmp_path: Path, **overrides: Any) -> Pair:
    doc = sync_config(overrides.pop("name", "sync-ab"), emu.url, **overrides)
    config = SyncPairConfig.model_validate(doc).to_pair_config()
    settings = Settings(mongodb_url=mongo_url, config_dir=tmp_path / "config", lease_ttl_seconds=10)
    from tests.helpers import write_config

    write_config(tmp_path / "config", doc)
    return Pair(emu, config, settings, tmp_path / "config")


@pytest.fixture
def pair(emu, mongo_url, tmp_path) -> Pair:
    return make_pair(emu, mongo_url, tmp_path)
