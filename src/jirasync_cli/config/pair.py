"""A pair's config as the program runs on it: frozen dataclasses, no pydantic.

The loader validates a ``sync-*.json`` with the pydantic models of
:mod:`jirasync_cli.config.models` and converts the result into a :class:`PairConfig`; that
is the one config type the engine and the workers use, and what travels over the pipe
from supervisor to worker (:meth:`PairConfig.to_dict`, :meth:`PairConfig.from_dict`).
Workers never import pydantic (about 20 MB per process, times the number of pairs).

Field names are the models' (snake_case), defaults filled in and cross-field rules already
checked: a new key is one field on a model and one here, and a test checks both agree.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Iterator, Mapping
from enum import Enum, StrEnum
from typing import Any, Literal, Self, Union, get_args, get_origin, get_type_hints


class Secret:
    """A token that never shows itself: ``repr``/``str`` are masked, the value needs asking for."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    def __str__(self) -> str:
        return "**********"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


class StrMap(Mapping[str, str]):
    """A read-only ``str -> str`` table (a mapping table of the config): frozen and hashable."""

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, str] | None = None) -> None:
        self._items = dict(items or {})

    def __getitem__(self, key: str) -> str:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return hash(frozenset(self._items.items()))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and dict(self._items) == dict(other)

    def __repr__(self) -> str:
        return f"StrMap({self._items!r})"


class Direction(StrEnum):
    USER_TO_DEV = "user_to_dev"
    DEV_TO_USER = "dev_to_user"
    BOTH = "both"

    def covers(self, side: str) -> bool:
        """Whether a change on ``side`` ("user" or "dev") is handled by this direction."""
        return self is Direction.BOTH or (self is Direction.USER_TO_DEV) == (side == "user")


class _Plain:
    """``to_dict``/``from_dict`` for the dataclasses below: JSON values, the token in clear."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values; the token is in clear (for the worker pipe only: never log this)."""
        out = _plain(self)
        assert isinstance(out, dict)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Rebuild from :meth:`to_dict` output (or a model's ``model_dump()``)."""
        hints = _hints(cls)
        return cls(**{f.name: _build(hints[f.name], data[f.name]) for f in dataclasses.fields(cls)})  # type: ignore[arg-type]


@dataclasses.dataclass(frozen=True)
class JiraSite(_Plain):
    base_url: str
    email: str | None
    api_token: Secret
    auth_type: Literal["basic", "pat"]
    api_version: Literal["2", "3"] | None
    max_requests_per_second: float
    max_requests_per_second_ceiling: float | None
    timeout_seconds: float
    concurrency: int
    link_type: str


@dataclasses.dataclass(frozen=True)
class Conditions(_Plain):
    issue_types: tuple[str, ...]
    priorities: tuple[str, ...]
    labels: tuple[str, ...]
    exclude_labels: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class Actions(_Plain):
    create_issue: bool
    sync_status: bool
    target_status: str | None
    add_comment: bool
    comment_template: str | None
    comment_on: Literal["target", "source", "user", "dev"]
    add_cross_link: bool
    comment_public: bool


@dataclasses.dataclass(frozen=True)
class Rule(_Plain):
    id: str
    source_status: str
    target_status: str | None
    resolution: str | None
    sync_direction: Direction
    enabled: bool
    priority: int
    on_initial_sync: bool
    conditions: Conditions
    actions: Actions


@dataclasses.dataclass(frozen=True)
class CommentSync(_Plain):
    enabled: bool
    user_to_dev: bool
    dev_to_user: bool
    attribution: str
    mirror_sync_account: bool
    customer_visibility: Literal["internal", "public"]
    restricted_comments: Literal["skip", "mirror"]


@dataclasses.dataclass(frozen=True)
class FieldSync(_Plain):
    enabled: bool
    fields: tuple[Literal["summary", "description", "priority", "labels"], ...]


@dataclasses.dataclass(frozen=True)
class JqlFilters(_Plain):
    user: str | None
    dev: str | None


@dataclasses.dataclass(frozen=True)
class Webhooks(_Plain):
    enabled: bool
    poll_interval_minutes: float  # replaces syncIntervalMinutes while webhooks are enabled
    debounce_seconds: float
    recheck_seconds: float


@dataclasses.dataclass(frozen=True)
class MappingTables(_Plain):
    """Values that differ between the sites: user-side value -> dev-side value."""

    statuses: StrMap
    priorities: StrMap
    issue_types: StrMap
    users: StrMap


@dataclasses.dataclass(frozen=True)
class Mappings(_Plain):
    """The user -> dev tables, and ``dev_to_user`` entries where reading them back is ambiguous."""

    statuses: StrMap
    priorities: StrMap
    issue_types: StrMap
    users: StrMap
    dev_to_user: MappingTables


@dataclasses.dataclass(frozen=True)
class PairConfig(_Plain):
    name: str
    jira: JiraSite  # the user project's site when only userJira/devJira were given
    user_jira: JiraSite | None
    dev_jira: JiraSite | None
    user_project_key: str
    dev_project_key: str
    sync_interval_minutes: float | None
    initial_sync_enabled: bool
    database: str
    dev_issue_type: str
    jql: JqlFilters
    search_overlap_minutes: float
    rules: tuple[Rule, ...]
    comment_sync: CommentSync
    field_sync: FieldSync
    webhooks: Webhooks
    mappings: Mappings

    @property
    def db_name(self) -> str:
        return self.database

    @property
    def user_site(self) -> JiraSite:
        """The Jira site of the user project."""
        return self.user_jira or self.jira

    @property
    def dev_site(self) -> JiraSite:
        """The Jira site of the dev project."""
        return self.dev_jira or self.jira

    @property
    def cross_site(self) -> bool:
        """The two projects are on two Jira sites (two clients, remote links between partners)."""
        return self.user_site.base_url != self.dev_site.base_url

    def site_of(self, side: str) -> JiraSite:
        return self.user_site if side == "user" else self.dev_site

    def interval_seconds(self, default_minutes: float, *, listening: bool = True) -> float:
        """Seconds between polls: the file's ``syncIntervalMinutes``, else the setting's; with
        webhooks enabled, the (longer) safety-net ``pollIntervalMinutes``. ``listening=False``
        where no webhook can arrive (a standalone worker has no receiver)."""
        if self.webhooks.enabled and listening:
            return 60.0 * self.webhooks.poll_interval_minutes
        return 60.0 * (self.sync_interval_minutes or default_minutes)

    def rules_in_order(self) -> list[Rule]:
        """Enabled rules, lowest priority number first, file order breaking ties."""
        return sorted((r for r in self.rules if r.enabled), key=lambda r: r.priority)


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    """The resolved field types of a dataclass (its annotations are strings), once per class."""
    hints = _HINTS.get(cls)
    if hints is None:
        hints = _HINTS[cls] = get_type_hints(cls)
    return hints


def _build(hint: Any, value: Any) -> Any:
    """``value`` (JSON, or a model dump) as the type ``hint`` of a field says."""
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):  # X | None
        if value is None:
            return None
        (inner,) = (a for a in get_args(hint) if a is not type(None))
        return _build(inner, value)
    if origin is tuple:
        return tuple(_build(get_args(hint)[0], v) for v in value)
    if isinstance(hint, type):
        if issubclass(hint, _Plain):
            return hint.from_dict(value)
        if hint is Secret:
            return value if isinstance(value, Secret) else Secret(value)
        if hint is StrMap:
            return StrMap(value)
        if issubclass(hint, Enum):
            return hint(value)
    return value  # str, int, float, bool, Literal


def _plain(value: Any) -> Any:
    if isinstance(value, _Plain):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}  # type: ignore[arg-type]
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Secret):
        return value.get_secret_value()
    if isinstance(value, StrMap):
        return dict(value)
    if isinstance(value, Enum):
        return value.value
    return value
