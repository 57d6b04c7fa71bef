"""Fixtures of the chaos suite: emulators, supervisors and background actors that are always
stopped (and every process killed by pid) at teardown, whatever the test did."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from jirasync_cli.doubles.mongo import EmbeddedMongo
from jirasync_cli.emulator import Account, JiraEmulator, default_accounts
from jirasync_cli.errors import JirasyncError
from tests.chaos.harness import LEASE_TTL
from tests.fixtures.supervisor import Supervisor
from tests.helpers import skip_or_fail


class Chaos:
    def __init__(self, tmp_path: Path, make_emu: Callable[..., JiraEmulator]) -> None:
        self.tmp_path = tmp_path
        self.tag = uuid.uuid4().hex[:6]
        self._make_emu = make_emu  # stops them after everything here has stopped
        self._supervisors: list[Supervisor] = []
        self._actors: list[Any] = []
        self._mongos: list[EmbeddedMongo] = []

    def emulator(self, accounts: list[Account] | None = None, **kwargs: Any) -> JiraEmulator:
        return self._make_emu("cloud", projects=(), accounts=accounts or default_accounts(), **kwargs)

    def supervisor(
        self, emu: JiraEmulator, mongo_url: str, config_dir: Path, log: Path | None = None, **env: str
    ) -> Supervisor:
        env = {"JIRASYNC_LEASE_TTL_SECONDS": LEASE_TTL, **env}
        log = log or self.tmp_path / f"supervisor{len(self._supervisors)}.log"
        sup = Supervisor(emu, mongo_url, config_dir, log, **env)
        self._supervisors.append(sup)
        return sup

    def mongo(self, storage: Path | None = None, port: int | None = None) -> EmbeddedMongo:
        """An embedded MongoDB of this test only; with ``storage`` its data survives stop/start."""
        server = EmbeddedMongo(port=port, storage_path=storage, log_path=self.tmp_path / "mongo.log")
        self._mongos.append(server)
        try:
            return server.start(timeout=60)
        except JirasyncError as exc:
            skip_or_fail(f"no wire-protocol MongoDB server available: {exc}")

    def track(self, actor: Any) -> Any:
        """Anything with .stop(): stopped at teardown (people, faults, killers)."""
        self._actors.append(actor)
        return actor

    def close(self) -> None:
        for actor in reversed(self._actors):
            try:
                actor.stop()
            except Exception:
                pass
        for sup in self._supervisors:
            sup.shutdown()
        for server in self._mongos:
            server.stop()


@pytest.fixture
def chaos(tmp_path: Path, make_emu: Callable[..., JiraEmulator]) -> Iterator[Chaos]:
    world = Chaos(tmp_path, make_emu)
    try:
        yield world
    finally:
        world.close()
