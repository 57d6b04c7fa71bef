"""Create and edit screens: which fields a request may set, per project and issue type.

Real Jira lets ``POST /issue`` and ``PUT /issue/{key}`` set only the fields on the screen that
the project's issue type screen scheme assigns to that operation. Any other field, whether
sent in ``fields`` or ``update`` (``update.issuelinks`` included), is refused with 400 and
``errors[field] = "Field 'X' cannot be set. It is not on the appropriate screen, or unknown."``.
Entity ``properties`` are not fields, so screens do not apply to them.

Sites differ, so screens are configurable per instance, per project and per issue type:

* ``"default"`` (the instance default): like Jira's *Default Screen*, which a new
  company-managed project gets. It has summary, description, priority, labels, assignee and
  reporter, but no *Linked Issues*, so ``update.issuelinks`` is refused on create and edit.
  Many real sites look like this, and the sync has to create the issue first and link it
  afterwards.
* ``"all"``: every field the emulator models, *Linked Issues* included (a site whose admin
  added the field to its screens).
* ``"minimal"``: summary only, like a trimmed team-managed or service-desk request form.
  Description, priority, labels and links are all refused.

A custom screen is a list of field ids (used for both operations) or a dict
``{"create": [...], "edit": [...]}``. Per-issue-type screens are a dict from issue type name
(or ``"*"`` for the rest) to any of the above.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from . import catalog
from .errors import EmulatorError

# Fields a request can set at all (project and issuetype are part of every create request).
SETTABLE = ("summary", "description", "priority", "labels", "assignee", "reporter", "issuelinks")
ALWAYS = frozenset({"issuetype"})  # the issue type is part of every screen's context
PRESETS: dict[str, tuple[str, ...]] = {
    "all": SETTABLE,
    "default": ("summary", "description", "priority", "labels", "assignee", "reporter"),
    "minimal": ("summary",),
}
DEFAULT_PRESET = "default"

OPERATIONS = {
    "summary": ["set"],
    "description": ["set"],
    "priority": ["set"],
    "labels": ["add", "set", "remove"],
    "assignee": ["set"],
    "reporter": ["set"],
    "issuelinks": ["add"],
    "issuetype": ["set"],
    "project": ["set"],
    "comment": ["add", "edit", "remove"],
}


@dataclass(frozen=True)
class Screens:
    """The fields settable on create and on edit for one project and issue type."""

    create: frozenset[str]
    edit: frozenset[str]

    @classmethod
    def of(cls, spec: Any) -> Screens:
        if isinstance(spec, Screens):
            return spec
        if isinstance(spec, str):
            if spec not in PRESETS:
                raise EmulatorError(f"unknown screen preset {spec!r} (known: {', '.join(PRESETS)})")
            fields = _fields(PRESETS[spec])
            return cls(fields, fields)
        if isinstance(spec, Mapping) and set(spec) <= {"create", "edit"}:
            return cls(
                _fields(_names(spec.get("create", PRESETS[DEFAULT_PRESET]))),
                _fields(_names(spec.get("edit", PRESETS[DEFAULT_PRESET]))),
            )
        if isinstance(spec, Iterable) and not isinstance(spec, Mapping):
            fields = _fields(_names(spec))
            return cls(fields, fields)
        raise EmulatorError("screens must be a preset name, a list of field ids or {'create': [...], 'edit': [...]}")

    def to_dict(self) -> dict[str, list[str]]:
        return {"create": sorted(self.create), "edit": sorted(self.edit)}


def _names(raw: Any) -> list[str]:
    if isinstance(raw, str):
        return list(Screens.of(raw).create)
    if not isinstance(raw, Iterable) or not all(isinstance(x, str) for x in raw):
        raise EmulatorError("a screen is a list of field ids")
    return list(raw)


def _fields(names: Iterable[str]) -> frozenset[str]:
    out = set(names)
    unknown = out - set(SETTABLE) - ALWAYS
    if unknown:
        raise EmulatorError(f"unknown screen field(s) {sorted(unknown)} (known: {', '.join(SETTABLE)})")
    return frozenset(out | ALWAYS)


def per_issue_type(spec: Any) -> dict[str, Screens]:
    """``spec`` as {issue type id or "*": Screens}."""
    if isinstance(spec, Mapping) and not set(spec) <= {"create", "edit"}:
        out: dict[str, Screens] = {}
        for name, sub in spec.items():
            out[name if name == "*" else _issue_type_id(name)] = Screens.of(sub)
        return out
    return {"*": Screens.of(spec)}


def _issue_type_id(name: str) -> str:
    for tid, tname, *_ in catalog.ISSUE_TYPES:
        if name in (tid, tname):
            return tid
    raise EmulatorError(f"unknown issue type {name!r}")


def screens_for(
    default: dict[str, Screens], project_screens: dict[str, Screens] | None, issuetype_id: str | None
) -> Screens:
    """The screens of one project and issue type: the project's, else the instance default."""
    for table in (project_screens or {}, default):
        if issuetype_id is not None and issuetype_id in table:
            return table[issuetype_id]
        if "*" in table:
            return table["*"]
    return Screens.of(DEFAULT_PRESET)


def to_config(table: dict[str, Screens]) -> dict[str, dict[str, list[str]]]:
    return {k: v.to_dict() for k, v in table.items()}


def from_config(raw: dict[str, Any] | None) -> dict[str, Screens] | None:
    return None if raw is None else {k: Screens.of(v) for k, v in raw.items()}
