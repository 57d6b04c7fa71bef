"""Sync-pair configuration.

Two shapes, on purpose: the pydantic models of a file (:mod:`.models`, used only where files
are validated: :mod:`.loader`) and the frozen dataclasses everything else runs on
(:mod:`.pair`, re-exported here). Importing this package never loads pydantic, so
supervised workers stay small.
"""

from jirasync_cli.config.pair import (
    Actions,
    CommentSync,
    Conditions,
    Direction,
    FieldSync,
    JiraSite,
    JqlFilters,
    Mappings,
    MappingTables,
    PairConfig,
    Rule,
    Secret,
    StrMap,
)

__all__ = [
    "Actions",
    "CommentSync",
    "Conditions",
    "Direction",
    "FieldSync",
    "JiraSite",
    "JqlFilters",
    "MappingTables",
    "Mappings",
    "PairConfig",
    "Rule",
    "Secret",
    "StrMap",
]
