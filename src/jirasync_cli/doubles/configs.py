"""Pair configs for the emulator's default workflows: one definition for the tests and the
benchmarks (the bot account and statuses are the ones :mod:`jirasync_cli.emulator` seeds)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

BOT_TOKEN = "emulator-token"


def sync_config(
    name: str,
    emu_url: str,
    user: str = "USER",
    dev: str = "DEV",
    *,
    token: str = BOT_TOKEN,
    email: str = "bot@example.com",
    database: str | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """A valid ``sync-*.json`` document for a pair in the emulator; ``overrides`` replace
    top-level keys. Its database name is unique unless ``database`` is given."""
    doc: dict[str, Any] = {
        "name": name,
        "jira": {"baseUrl": emu_url, "email": email, "apiToken": token, "concurrency": 4},
        "userProjectKey": user,
        "devProjectKey": dev,
        "syncIntervalMinutes": 1,
        "database": database or f"{name.replace('-', '_')}_{uuid.uuid4().hex[:6]}",
        "rules": [
            {
                "id": "create-dev",
                "sourceStatus": "Will Do",
                "syncDirection": "user_to_dev",
                "actions": {
                    "createIssue": True,
                    "addCrossLink": True,
                    "addComment": True,
                    "commentOn": "source",
                    "commentTemplate": "Escalated to engineering as ${targetKey}.",
                },
            },
            {
                "id": "dev-started",
                "sourceStatus": "In Progress",
                "syncDirection": "dev_to_user",
                "actions": {"syncStatus": True, "targetStatus": "In Progress"},
            },
            {
                "id": "dev-done",
                "sourceStatus": "Done",
                "syncDirection": "dev_to_user",
                "actions": {
                    "syncStatus": True,
                    "targetStatus": "Resolved",
                    "addComment": True,
                    "commentTemplate": "Fixed in ${sourceKey}.",
                },
            },
        ],
    }
    doc.update(overrides)
    return doc


def write_config(directory: Path, doc: dict[str, Any]) -> Path:
    """``doc`` as ``directory/sync-<name>.json`` (a name starting ``sync-`` is the file's stem)."""
    directory.mkdir(parents=True, exist_ok=True)
    stem = doc["name"] if doc["name"].startswith("sync-") else f"sync-{doc['name']}"
    path = directory / f"{stem}.json"
    path.write_text(json.dumps(doc, indent=2))
    return path
