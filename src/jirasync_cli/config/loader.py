"""Load every ``sync-*.json`` of a directory: valid configs plus one problem per bad file.

Validation is pydantic's (:mod:`jirasync_cli.config.models`); what comes out is the runtime's
:class:`~jirasync_cli.config.pair.PairConfig`.

Nothing here raises for bad input: unreadable files, invalid JSON, schema errors and
clashes between files (same ``name`` or ``database``) each become a :class:`Problem`
naming the file, the JSON path of the field and the reason, and the valid files still load.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from jirasync_cli import secrets
from jirasync_cli.config.interpolate import (
    InterpolationError,
    interpolate,
    json_path,
    strip_comments,
)
from jirasync_cli.config.models import SyncPairConfig
from jirasync_cli.config.pair import PairConfig
from jirasync_cli.config.suggest import did_you_mean

CONFIG_GLOB = "sync-*.json"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Problem:
    file: str
    path: str
    reason: str

    def line(self) -> str:
        # A file name may hold anything but "/": keep the line one printable line.
        file = self.file if self.file.isprintable() else json.dumps(self.file)[1:-1]
        path = self.path if len(self.path) <= 200 else self.path[:200] + "..."
        return f"{file}: {path}: {self.reason}"

    def as_dict(self) -> dict[str, str]:
        return {"file": self.file, "path": self.path, "reason": self.reason}


@dataclass(frozen=True)
class LoadedConfig:
    file: str
    config: PairConfig


@dataclass
class LoadResult:
    directory: str
    configs: list[LoadedConfig] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    missing_directory: bool = False

    @property
    def ok(self) -> bool:
        return bool(self.configs) and not self.problems


def _one_line(text: str) -> str:
    return " ".join(secrets.redact(str(text)).split())


MAX_PROBLEMS_PER_FILE = 20  # a file with 50,000 unknown keys is one mistake, not 50,000 lines


def _validation_problems(file: str, error: ValidationError) -> list[Problem]:
    problems = []
    items = error.errors(include_url=False, include_input=False)
    for item in items[:MAX_PROBLEMS_PER_FILE]:
        loc = tuple(p for p in item["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown key" + did_you_mean(SyncPairConfig, loc)
        problems.append(Problem(file, json_path(loc), _one_line(message)))
    if len(items) > MAX_PROBLEMS_PER_FILE:
        problems.append(Problem(file, "$", f"... and {len(items) - MAX_PROBLEMS_PER_FILE} more problems"))
    return problems


def _register_secrets(data: Mapping[str, Any]) -> None:
    for block in ("jira", "userJira", "devJira"):  # a cross-site pair has a token per site
        jira = data.get(block)
        if not isinstance(jira, dict):
            continue
        token = jira.get("apiToken")
        if isinstance(token, str):
            secrets.register(token)
            email = jira.get("email")
            if isinstance(email, str):
                # A basic-auth header carries base64(email:token); mask that form too.
                secrets.register(base64.b64encode(f"{email}:{token}".encode()).decode())


MAX_FILE_BYTES = 1 << 20  # a pair's config is a few KiB; anything near this is not one
MAX_NUMBER_DIGITS = 100  # no setting needs more; Python refuses int() past 4,300 digits anyway
MAX_DEPTH = 64  # a config nests about five levels deep


class _Rejected(ValueError):
    """A document the JSON decoder must not return (non-finite or absurdly long numbers)."""


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise _Rejected(f"number with {len(text.lstrip('-'))} digits (at most {MAX_NUMBER_DIGITS})")
    return int(text)


def _parse_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise _Rejected(f"number {text[:20]}{'...' if len(text) > 20 else ''} is out of range")
    return value


def _parse_constant(name: str) -> Any:
    raise _Rejected(f"{name} is not a JSON value")


def _decode_json(text: str) -> Any:
    return json.loads(text, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_parse_constant)


def _shape_problem(node: Any) -> tuple[str, str] | None:
    """(path, reason) of the first value nested too deep or holding a lone surrogate, if any.

    Iterative, so a hostile document cannot exhaust the stack here; strings with lone
    surrogates (``"\\ud800"``) parse as JSON but cannot be encoded to send anywhere.
    """
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(node, ())]
    while stack:
        value, path = stack.pop()
        if len(path) > MAX_DEPTH:
            return json_path(path[:2]), f"nested more than {MAX_DEPTH} levels deep"
        if isinstance(value, dict):
            for key, item in value.items():
                if not _encodable(key):
                    return json_path(path), "a key is not valid Unicode (lone surrogate escape)"
                stack.append((item, (*path, key)))
        elif isinstance(value, list):
            stack.extend((item, (*path, i)) for i, item in enumerate(value))
        elif isinstance(value, str) and not _encodable(value):
            return json_path(path), "not valid Unicode (lone surrogate escape)"
    return None


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _decode_text(raw: bytes) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnicodeError("UTF-16 text (save it as UTF-8)")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnicodeError(f"not UTF-8 text (byte {exc.start})") from None


def parse_config(file: str, raw: bytes, env: Mapping[str, str] | None = None) -> PairConfig | list[Problem]:
    env = os.environ if env is None else env
    try:
        text = _decode_text(raw)
    except UnicodeError as exc:
        return [Problem(file, "$", str(exc))]
    try:
        data = _decode_json(text)
    except json.JSONDecodeError as exc:
        return [Problem(file, "$", f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")]
    except _Rejected as exc:
        return [Problem(file, "$", f"invalid JSON: {exc}")]
    except RecursionError:
        return [Problem(file, "$", "invalid JSON: nested too deeply")]
    if not isinstance(data, dict):
        return [Problem(file, "$", f"must be a JSON object, not {type(data).__name__}")]
    shape = _shape_problem(data)
    if shape is not None:
        return [Problem(file, *shape)]
    try:
        data = interpolate(strip_comments(data), env)
    except InterpolationError as exc:
        return [Problem(file, exc.path, exc.reason)]
    _register_secrets(data)
    data.setdefault("name", Path(file).stem)
    try:
        return SyncPairConfig.model_validate(data).to_pair_config()
    except ValidationError as exc:
        return _validation_problems(file, exc)


_FILE_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _not_regular(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    kind = next((name for test, name in _FILE_KINDS if test(mode)), "a special file")
    return f"not a regular file ({kind})"


def read_config_bytes(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; else :class:`ValueError` saying why.

    A symlink to a regular file is fine. Nothing else is opened in a way that can block
    or side-effect: the mode is checked before opening, the file is opened non-blocking
    (a FIFO swapped in meanwhile cannot hang us) and checked again on the open descriptor,
    and at most ``limit + 1`` bytes are read.
    """
    try:
        reason = _not_regular(os.stat(path).st_mode)
        if reason:
            raise ValueError(reason)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as exc:
        raise ValueError(f"cannot read file: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        reason = _not_regular(info.st_mode)
        if reason:
            raise ValueError(reason)
        if info.st_size > limit:
            raise ValueError(f"file too large ({info.st_size} bytes; at most {limit})")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, limit + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:  # grew while we read it
            raise ValueError(f"file too large (more than {limit} bytes)")
        return b"".join(chunks)
    except OSError as exc:
        raise ValueError(f"cannot read file: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def load_config_file(path: Path, env: Mapping[str, str] | None = None) -> PairConfig | list[Problem]:
    try:
        raw = read_config_bytes(path)
    except ValueError as exc:
        return [Problem(path.name, "$", str(exc))]
    try:
        return parse_config(path.name, raw, env)
    except RecursionError:
        return [Problem(path.name, "$", "nested too deeply")]
    except Exception as exc:  # noqa: BLE001 - last line of defence: one file's surprise fails only that file
        log.exception("unexpected error validating %s", path.name)
        return [Problem(path.name, "$", f"cannot be validated ({type(exc).__name__}); please report this")]


def load_config_dir(directory: Path | str, env: Mapping[str, str] | None = None) -> LoadResult:
    directory = Path(directory)
    result = LoadResult(directory=str(directory))
    if not directory.is_dir():
        result.missing_directory = True
        return result
    candidates: list[tuple[str, PairConfig]] = []
    for path in sorted(directory.glob(CONFIG_GLOB)):
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
                    clashes.setdefault(file, Problem(file, f"$.{label}", f"{label} {value!r} is also used by {others}"))
    for file, cfg in candidates:
        if file in clashes:
            result.problems.append(clashes[file])
        else:
            result.configs.append(LoadedConfig(file, cfg))
    result.problems.sort(key=lambda p: (p.file, p.path))
    return result
