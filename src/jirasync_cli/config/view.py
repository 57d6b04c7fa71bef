"""A read-only view of a validated pair config that does not need pydantic.

A supervised worker receives its config already validated by its supervisor. Importing
pydantic only to hold it costs about 20 MB per process, times the number of pairs; the
view wraps the validated values (snake_case, defaults filled in) with the same attribute
names the models have. Behaviour both share lives here as plain functions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def direction_covers(direction: str, side: str) -> bool:
    """Whether a change on ``side`` ("user"/"dev") is handled by ``direction``."""
    value = getattr(direction, "value", direction)
    if value == "both":
        return True
    return (value == "user_to_dev") == (side == "user")


def ordered_rules(rules: Iterable[Any]) -> list[Any]:
    """Enabled rules, lowest priority number first, file order breaking ties."""
    return sorted((r for r in rules if r.enabled), key=lambda r: r.priority)


def interval_seconds(configured_minutes: float | None, default_minutes: float,
                     webhook_poll_minutes: float | None = None) -> float:
    """Seconds between polls; with webhooks enabled the (longer) safety-net poll interval."""
    return 60.0 * (webhook_poll_minutes or configured_minutes or default_minutes)


class Secret:
    """Holds a token without ever showing it (the API of pydantic's SecretStr we use)."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"


class View:
    """Attribute access over a mapping; nested mappings and lists of them become views."""

    __slots__ = ("_data",)
    _secret_fields = frozenset({"api_token"})

    def __init__(self, data: Mapping[str, Any]) -> None:
        object.__setattr__(self, "_data", data)

    def __getattr__(self, name: str) -> Any:
        try:
            value = self._data[name]
        except KeyError:
            raise AttributeError(name) from None
        if name in self._secret_fields and isinstance(value, str):
            return Secret(value)
        return _wrap(value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("config views are read-only")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({sorted(self._data)})"


def _wrap(value: Any) -> Any:
    if isinstance(value, Mapping):
        return View(value)
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    return value


class PairView(View):
    """A pair config as the sync engine reads it."""

    __slots__ = ()

    @property
    def db_name(self) -> str:
        return str(self._data["database"])

    def interval_seconds(self, default_minutes: float) -> float:
        hooks = self._data.get("webhooks") or {}
        return interval_seconds(self._data.get("sync_interval_minutes"), default_minutes,
                                hooks.get("poll_interval_minutes") if hooks.get("enabled") else None)

    def rules_in_order(self) -> list[Any]:
        return ordered_rules(self.rules)
