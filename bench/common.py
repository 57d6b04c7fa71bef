"""Shared set-up for the benchmarks: emulator, embedded MongoDB, configs, figures."""

from __future__ import annotations

import json
import os
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from jirasync_cli.config import PairConfig
from jirasync_cli.config.models import SyncPairConfig
from jirasync_cli.doubles.configs import sync_config
from jirasync_cli.doubles.mongo import EmbeddedMongo
from jirasync_cli.emulator import JiraEmulator, Workflow
from jirasync_cli.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def mongo():
    server = EmbeddedMongo().start()
    try:
        yield server
    finally:
        server.stop()


def emulator(mode: str = "cloud", pairs: list[tuple[str, str]] = (("USER", "DEV"),), **kwargs: Any) -> JiraEmulator:
    emu = JiraEmulator(mode=mode, **kwargs).start()
    for user, dev in pairs:
        emu.add_project(user, workflow=Workflow.user_default())
        emu.add_project(dev, workflow=Workflow.dev_default())
    return emu


def pair_config(
    emu: JiraEmulator, name: str = "sync-bench", user: str = "USER", dev: str = "DEV", **overrides: Any
) -> PairConfig:
    doc = sync_config(name, emu.url, user, dev, database=f"bench_{uuid.uuid4().hex[:8]}", **overrides)
    return SyncPairConfig.model_validate(doc).to_pair_config()


def emulator_jira(emu: Any, **options: Any) -> dict[str, Any]:
    """A pair's ``jira`` block for the emulator's bot, with the given options (camelCase)."""
    return {"baseUrl": emu.url, "email": "bot@example.com", "apiToken": "emulator-token", **options}


def settings(mongo_url: str, **kwargs: Any) -> Settings:
    return Settings(mongodb_url=mongo_url, **kwargs)


def figure(name: str, value: float, unit: str = "", target: str = "") -> dict[str, Any]:
    line = f"{name:<58} {value:>12.3f} {unit:<8}"
    if target:
        line += f" target {target}"
    print(line, flush=True)
    return {"name": name, "value": value, "unit": unit, "target": target}


def save(results: list[dict[str, Any]], path: str | None = None) -> None:
    if path or os.environ.get("BENCH_JSON"):
        Path(path or os.environ["BENCH_JSON"]).write_text(json.dumps(results, indent=2))
