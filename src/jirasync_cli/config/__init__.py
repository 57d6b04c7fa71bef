"""Sync-pair configuration: models, ``${VAR}`` interpolation and the directory loader."""

from jirasync_cli.config.loader import LoadedConfig, LoadResult, Problem, load_config_dir, load_config_file
from jirasync_cli.config.models import (
    Actions,
    CommentSync,
    Conditions,
    Direction,
    FieldSync,
    JiraConnection,
    Rule,
    SyncPairConfig,
    config_json_schema,
)

__all__ = [
    "Actions",
    "CommentSync",
    "Conditions",
    "Direction",
    "FieldSync",
    "JiraConnection",
    "LoadResult",
    "LoadedConfig",
    "Problem",
    "Rule",
    "SyncPairConfig",
    "config_json_schema",
    "load_config_dir",
    "load_config_file",
]
