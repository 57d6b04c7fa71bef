"""Sync-pair configuration: models, ``${VAR}`` interpolation and the directory loader.

Names are loaded on first use (PEP 562), so a worker importing only
:mod:`jirasync_cli.config.view` never loads pydantic.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "LoadedConfig": "loader", "LoadResult": "loader", "Problem": "loader", "load_config_dir": "loader",
    "load_config_file": "loader",
    "Actions": "models", "CommentSync": "models", "Conditions": "models", "Direction": "models",
    "FieldSync": "models", "JiraConnection": "models", "Rule": "models", "SyncPairConfig": "models",
    "config_json_schema": "models",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
