"""Shared fixtures: environment isolation, a CLI runner, a config-dir builder, and one fixture
per double: ``mongo_server`` (embedded MongoDB, per session) and ``make_emu`` (Jira emulators,
stopped after the test), with ``emu`` (both modes), ``cloud`` and ``server`` built on it."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from jirasync_cli.cli import app
from jirasync_cli.emulator import JiraEmulator
from tests.fixtures.emulator import Project, start_emulator

# A recognisable token: tests assert it never shows up in any output.
SECRET_TOKEN = "tok-SECRET-4f9a2c7e1b"


# Fixtures that start a server: a test using none of them (and not marked slow or chaos) is in
# the fast tier, `tools/dev.py test --fast` (pytest -m unit).
SERVER_FIXTURES = frozenset({"mongo_server", "make_emu"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if SERVER_FIXTURES.isdisjoint(getattr(item, "fixturenames", ())) and not any(
            item.get_closest_marker(m) for m in ("slow", "chaos")
        ):
            item.add_marker(pytest.mark.unit)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No developer .env or JIRASYNC_* variable leaks into a test."""
    for key in list(os.environ):
        if key.startswith("JIRASYNC_") or key in {
            "MONGODB_URL",
            "CONFIG_DIR",
            "HEALTH_PORT",
            "SYNC_INTERVAL_MINUTES",
            "LOG_LEVEL",
        }:
            monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)
    from jirasync_cli.settings import get_settings

    get_settings.cache_clear()


class Cli:
    """Runs ``jirasync`` in-process; ``.run(...)`` returns the click Result."""

    def __init__(self) -> None:
        self.runner = CliRunner()

    def run(self, *args: str, input: str | None = None, env: dict[str, str] | None = None):
        return self.runner.invoke(app, list(args), input=input, env=env, catch_exceptions=False)


@pytest.fixture
def cli() -> Cli:
    return Cli()


def pair_config(name: str = "sync-ab", **overrides: Any) -> dict[str, Any]:
    """A valid config document; ``overrides`` replace top-level keys."""
    doc: dict[str, Any] = {
        "name": name,
        "jira": {
            "baseUrl": "https://example.atlassian.net",
            "email": "bot@example.com",
            "apiToken": "${JIRA_API_TOKEN}",
            "authType": "basic",
        },
        "userProjectKey": "USER",
        "devProjectKey": "DEV",
        "syncIntervalMinutes": 5,
        "rules": [
            {
                "id": "create-dev",
                "sourceStatus": "Will Do",
                "syncDirection": "user_to_dev",
                "actions": {
                    "createIssue": True,
                    "addCrossLink": True,
                    "addComment": True,
                    "commentTemplate": "Dev issue: ${targetKey}",
                },
            },
            {
                "id": "dev-done",
                "sourceStatus": "Done",
                "syncDirection": "dev_to_user",
                "actions": {"syncStatus": True, "targetStatus": "Resolved"},
            },
        ],
    }
    doc.update(overrides)
    return doc


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[..., Path]:
    """Write ``doc`` (a dict, or raw str/bytes) as ``config/<file>``; returns the config dir."""
    directory = tmp_path / "config"
    directory.mkdir(exist_ok=True)

    def write(file: str, doc: Any) -> Path:
        path = directory / file
        if isinstance(doc, bytes):
            path.write_bytes(doc)
        elif isinstance(doc, str):
            path.write_text(doc)
        else:
            path.write_text(json.dumps(doc, indent=2))
        return directory

    return write


@pytest.fixture(scope="session")
def mongo_server():
    """A real wire-protocol MongoDB-compatible server for the whole session."""
    from jirasync_cli.doubles.mongo import EmbeddedMongo
    from jirasync_cli.errors import JirasyncError

    server = EmbeddedMongo()
    try:
        server.start()
    except JirasyncError as exc:
        from tests.helpers import skip_or_fail

        skip_or_fail(f"no wire-protocol MongoDB server available: {exc}")
    yield server
    server.stop()


@pytest.fixture
def mongo_url(mongo_server) -> str:
    return mongo_server.url


@pytest.fixture
def make_emu() -> Iterator[Callable[..., JiraEmulator]]:
    """``make_emu(mode="cloud", *, projects=None, **options)``: a started emulator (the
    standard USER/DEV projects unless ``projects`` says otherwise), stopped after the test."""
    started: list[JiraEmulator] = []

    def make(mode: str = "cloud", *, projects: Sequence[Project] | None = None, **options: Any) -> JiraEmulator:
        emu = start_emulator(mode, projects=projects, **options)
        started.append(emu)
        return emu

    yield make
    for emu in reversed(started):
        emu.stop()


@pytest.fixture
def emu_options() -> dict[str, Any]:
    """Emulator options of ``emu``, ``cloud`` and ``server``; a directory may override them."""
    return {}


@pytest.fixture(params=["cloud", "server"])
def emu(
    request: pytest.FixtureRequest, make_emu: Callable[..., JiraEmulator], emu_options: dict[str, Any]
) -> JiraEmulator:
    """The emulator with the standard projects, once as Jira Cloud and once as Data Center."""
    return make_emu(request.param, **emu_options)


@pytest.fixture
def cloud(make_emu: Callable[..., JiraEmulator], emu_options: dict[str, Any]) -> JiraEmulator:
    return make_emu("cloud", **emu_options)


@pytest.fixture
def server(make_emu: Callable[..., JiraEmulator], emu_options: dict[str, Any]) -> JiraEmulator:
    return make_emu("server", **emu_options)
