"""'Did you mean' for a misspelt key: the closest key the config model knows at that place."""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model class inside ``X``, ``X | None``, ``list[X]``, ``dict[str, X]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType, list, dict, tuple):
        for arg in reversed(typing.get_args(annotation)):
            found = _model_in(arg)
            if found is not None:
                return found
    return None


def known_keys(model: type[BaseModel], loc: tuple[str | int, ...]) -> list[str]:
    """The keys (as written in files) allowed in the object at ``loc``."""
    for part in loc:
        if isinstance(part, int):
            continue  # a list index: same model
        field = next((f for n, f in model.model_fields.items() if part in (n, f.alias)), None)
        inner = _model_in(field.annotation) if field else None
        if inner is None:
            return []
        model = inner
    return [f.alias or n for n, f in model.model_fields.items()]


def did_you_mean(model: type[BaseModel], loc: tuple[str | int, ...]) -> str:
    """`` (did you mean 'baseUrl'?)`` for an unknown key at ``loc``, or ``""``."""
    if not loc or not isinstance(loc[-1], str):
        return ""
    keys = known_keys(model, loc[:-1])
    by_lower = {k.lower(): k for k in keys}
    close = difflib.get_close_matches(loc[-1].lower(), list(by_lower), n=1, cutoff=0.6)
    return f" (did you mean {by_lower[close[0]]!r}?)" if close else ""
