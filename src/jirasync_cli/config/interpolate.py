"""``${VAR}`` environment interpolation and ``_comment`` stripping over parsed JSON."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from jirasync_cli.config.models import TEMPLATE_VARIABLES

_PLACEHOLDER = re.compile(r"\$\$|\$\{([^}]*)\}")
_VAR_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class InterpolationError(ValueError):
    def __init__(self, path: str, reason: str) -> None:
        super().__init__(reason)
        self.path = path
        self.reason = reason


def json_path(parts: tuple[str | int, ...]) -> str:
    """``("rules", 0, "id")`` → ``$.rules[0].id``."""
    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _VAR_NAME.match(str(part)):
            out += f".{part}"
        else:  # odd keys (spaces, newlines) are JSON-quoted so the path stays one line
            out += f"[{json.dumps(str(part))}]"
    return out


def strip_comments(node: Any) -> Any:
    """Drop keys starting with ``_`` at every level: they are comments."""
    if isinstance(node, dict):
        return {k: strip_comments(v) for k, v in node.items() if not (isinstance(k, str) and k.startswith("_"))}
    if isinstance(node, list):
        return [strip_comments(v) for v in node]
    return node


def interpolate(node: Any, env: Mapping[str, str], path: tuple[str | int, ...] = ()) -> Any:
    """Replace ``${VAR}`` in every string with ``env[VAR]``.

    Template placeholders (``${sourceKey}`` ...) are left for the comment renderer, and
    ``$$`` is a literal ``$``. A variable missing from ``env`` raises an error naming it.
    """
    if isinstance(node, dict):
        return {k: interpolate(v, env, (*path, k)) for k, v in node.items()}
    if isinstance(node, list):
        return [interpolate(v, env, (*path, i)) for i, v in enumerate(node)]
    if not isinstance(node, str) or "$" not in node:
        return node

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group(1)
        if name in TEMPLATE_VARIABLES:
            return match.group(0)
        if not _VAR_NAME.match(name):
            raise InterpolationError(json_path(path), f"invalid variable reference ${{{name}}}")
        if name not in env:
            near = [v for v in TEMPLATE_VARIABLES if v.lower() == name.lower()]
            hint = f" (did you mean the placeholder ${{{near[0]}}}?)" if near else ""
            raise InterpolationError(json_path(path), f"environment variable {name} is not set{hint}")
        return env[name]

    return _PLACEHOLDER.sub(replace, node)
