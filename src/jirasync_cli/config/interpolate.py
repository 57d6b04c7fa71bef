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


class MissingVariables(InterpolationError):
    """Environment variables the file names but the environment lacks: all of them, in one error."""

    def __init__(self, missing: list[tuple[str, str]]) -> None:
        names = list(dict.fromkeys(name for _, name in missing))
        if len(missing) == 1:
            super().__init__(missing[0][0], f"environment variable {names[0]} is not set")
        else:
            where = ", ".join(f"{name} ({path})" for path, name in missing)
            noun, verb = ("variable", "is") if len(names) == 1 else ("variables", "are")
            super().__init__("$", f"environment {noun} {where} {verb} not set")
        self.missing = missing
        self.names = names


class LenientEnv(Mapping[str, str]):
    """An environment in which a missing variable gets a stand-in value and is remembered:
    to check a file's structure and rules where its secrets are absent (CI)."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.missing: list[tuple[str, str]] = []

    def __getitem__(self, name: str) -> str:
        return self.env[name]

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.env)

    def __len__(self) -> int:
        return len(self.env)

    def stand_in(self, name: str, path: str, whole: bool) -> str:
        self.missing.append((path, name))
        if whole and path.endswith("Url"):
            return "https://unset.invalid"
        if whole and path.endswith("email"):
            return "unset@example.invalid"
        return f"unset-{name}"


def interpolate(node: Any, env: Mapping[str, str]) -> Any:
    """Replace ``${VAR}`` in every string with ``env[VAR]``.

    Template placeholders (``${sourceKey}`` ...) are left for the comment renderer, and
    ``$$`` is a literal ``$``. Variables missing from ``env`` raise one error naming every
    one of them (a :class:`LenientEnv` substitutes stand-ins instead).
    """
    missing: list[tuple[str, str]] = []
    out = _interpolate(node, env, (), missing)
    if missing:
        raise MissingVariables(missing)
    return out


def _interpolate(node: Any, env: Mapping[str, str], path: tuple[str | int, ...], missing: list[tuple[str, str]]) -> Any:
    if isinstance(node, dict):
        return {k: _interpolate(v, env, (*path, k), missing) for k, v in node.items()}
    if isinstance(node, list):
        return [_interpolate(v, env, (*path, i), missing) for i, v in enumerate(node)]
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
            if near:  # a mistyped placeholder, not a secret: say so at once
                raise InterpolationError(
                    json_path(path),
                    f"environment variable {name} is not set (did you mean the placeholder ${{{near[0]}}}?)",
                )
            if isinstance(env, LenientEnv):
                return env.stand_in(name, json_path(path), whole=match.group(0) == node)
            missing.append((json_path(path), name))
            return match.group(0)
        return env[name]

    return _PLACEHOLDER.sub(replace, node)
