"""Load every ``sync-*.json`` of a directory: valid configs plus one problem per bad file.

Nothing here raises for bad input: unreadable files, invalid JSON, schema errors and
clashes between files (same ``name`` or ``database``) each become a :class:`Problem`
naming the file, the JSON path of the field and the reason, and the valid files still load.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from jirasync_cli import secrets
from jirasync_cli.config.interpolate import InterpolationError, interpolate, json_path, strip_comments
from jirasync_cli.config.models import SyncPairConfig
from jirasync_cli.config.suggest import did_you_mean

CONFIG_GLOB = "sync-*.json"


@dataclass(frozen=True)
class Problem:
    file: str
    path: str
    reason: str

    def line(self) -> str:
        return f"{self.file}: {self.path}: {self.reason}"

    def as_dict(self) -> dict[str, str]:
        return {"file": self.file, "path": self.path, "reason": self.reason}


@dataclass(frozen=True)
class LoadedConfig:
    file: str
    config: SyncPairConfig


@dataclass
class LoadResult:
    directory: str
    configs: list[LoadedConfig] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    missing_directory: bool = False

    @property
    def ok(self) -> bool:
        return bool(self.configs) and not self.problems

    def by_name(self) -> dict[str, SyncPairConfig]:
        return {c.config.name: c.config for c in self.configs}


def _one_line(text: str) -> str:
    return " ".join(secrets.redact(str(text)).split())


def _validation_problems(file: str, error: ValidationError) -> list[Problem]:
    problems = []
    for item in error.errors(include_url=False, include_input=False):
        loc = tuple(p for p in item["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown key" + did_you_mean(SyncPairConfig, loc)
        problems.append(Problem(file, json_path(loc), _one_line(message)))
    return problems


def _register_secrets(data: Mapping[str, Any]) -> None:
    jira = data.get("jira")
    if not isinstance(jira, dict):
        return
    token = jira.get("apiToken")
    if isinstance(token, str):
        secrets.register(token)
        email = jira.get("email")
        if isinstance(email, str):
            # A basic-auth header carries base64(email:token); mask that form too.
            secrets.register(base64.b64encode(f"{email}:{token}".encode()).decode())


def parse_config(file: str, raw: bytes, env: Mapping[str, str] | None = None) -> SyncPairConfig | list[Problem]:
    env = os.environ if env is None else env
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return [Problem(file, "$", f"not UTF-8 text (byte {exc.start})")]
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return [Problem(file, "$", f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")]
    except RecursionError:
        return [Problem(file, "$", "invalid JSON: nested too deeply")]
    if not isinstance(data, dict):
        return [Problem(file, "$", f"must be a JSON object, not {type(data).__name__}")]
    try:
        data = interpolate(strip_comments(data), env)
    except InterpolationError as exc:
        return [Problem(file, exc.path, exc.reason)]
    except RecursionError:
        return [Problem(file, "$", "nested too deeply")]
    _register_secrets(data)
    data.setdefault("name", Path(file).stem)
    try:
        return SyncPairConfig.model_validate(data)
    except ValidationError as exc:
        return _validation_problems(file, exc)
    except RecursionError:
        return [Problem(file, "$", "nested too deeply")]


def load_config_file(path: Path, env: Mapping[str, str] | None = None) -> SyncPairConfig | list[Problem]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return [Problem(path.name, "$", f"cannot read file: {exc.strerror or exc}")]
    return parse_config(path.name, raw, env)


def load_config_dir(directory: Path | str, env: Mapping[str, str] | None = None) -> LoadResult:
    directory = Path(directory)
    result = LoadResult(directory=str(directory))
    if not directory.is_dir():
        result.missing_directory = True
        return result
    candidates: list[tuple[str, SyncPairConfig]] = []
    for path in sorted(directory.glob(CONFIG_GLOB)):
        if path.is_dir():
            continue
        loaded = load_config_file(path, env)
        if isinstance(loaded, list):
            result.problems.extend(loaded)
        else:
            candidates.append((path.name, loaded))
    # Two files claiming one name or database would fight over one state: reject all of them.
    clashes: dict[str, Problem] = {}
    for key, label in (("name", "name"), ("database", "database")):
        owners: dict[str, list[str]] = {}
        for file, cfg in candidates:
            owners.setdefault(str(getattr(cfg, key)), []).append(file)
        for value, files in owners.items():
            if len(files) > 1:
                for file in files:
                    others = ", ".join(f for f in files if f != file)
                    clashes.setdefault(
                        file, Problem(file, f"$.{label}", f"{label} {value!r} is also used by {others}")
                    )
    for file, cfg in candidates:
        if file in clashes:
            result.problems.append(clashes[file])
        else:
            result.configs.append(LoadedConfig(file, cfg))
    result.problems.sort(key=lambda p: (p.file, p.path))
    return result
