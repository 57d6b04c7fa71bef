"""Wiring: find a pair's config, open its store and its Jira client, build its runtime."""

from __future__ import annotations

import os
import socket
import threading
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jirasync_cli.errors import JirasyncError
from jirasync_cli.jira.errors import JiraUnavailable

if TYPE_CHECKING:  # supervised workers run without pydantic (see config.view)
    from jirasync_cli.config import SyncPairConfig
    from jirasync_cli.process_settings import ProcessSettings
    from jirasync_cli.settings import Settings
    from jirasync_cli.store import PairStore
    from jirasync_cli.sync.runtime import PairRuntime

_clients: dict[str, Any] = {}
_clients_lock = threading.Lock()


def find_config(config_dir: Path, name: str) -> SyncPairConfig:
    """The valid config named ``name`` (or whose file is ``name``/``sync-name.json``)."""
    from jirasync_cli.config import load_config_dir

    result = load_config_dir(config_dir)
    if result.missing_directory:
        raise JirasyncError(f"config directory {config_dir} does not exist")
    for loaded in result.configs:
        stem = loaded.file.removesuffix(".json")
        if name in (loaded.config.name, stem, loaded.file) or f"sync-{name}" == stem:
            return loaded.config
    bad = [p for p in result.problems if p.file in (name, f"{name}.json", f"sync-{name}.json")]
    if bad:
        more = f" (and {len(bad) - 1} more problem(s): jirasync validate-configs)" if len(bad) > 1 else ""
        raise JirasyncError(f"config {config_dir / bad[0].file} is invalid: {bad[0].path}: {bad[0].reason}{more}")
    known = ", ".join(sorted(c.config.name for c in result.configs)) or "none"
    invalid = sorted({p.file for p in result.problems})
    also = f"; invalid: {', '.join(invalid)} (see jirasync validate-configs)" if invalid else ""
    raise JirasyncError(f"no valid config named {name!r} in {config_dir} (valid: {known}{also})")


def mongo(settings: Settings | ProcessSettings) -> Any:
    from jirasync_cli.store import mongo_client

    with _clients_lock:
        client = _clients.get(settings.mongodb_url)
        if client is None:
            client = _clients[settings.mongodb_url] = mongo_client(settings.mongodb_url)
        return client


def open_store(config: SyncPairConfig, settings: Settings | ProcessSettings, *, indexes: bool = True) -> PairStore:
    from jirasync_cli.store import PairStore

    store = PairStore(mongo(settings), config.db_name, config.name)
    if indexes:
        store.ensure_indexes()
    return store


def _unreachable_jira(config: SyncPairConfig, exc: Exception) -> JirasyncError:
    """Which Jira, chosen by which setting, and why it does not answer."""
    from jirasync_cli.endpoints import host_port, probe

    reason = probe(config.jira.base_url, timeout=min(5.0, config.jira.timeout_seconds)) or str(exc)
    return JirasyncError(f"cannot connect to Jira at {host_port(config.jira.base_url)} (jira.baseUrl of "
                         f"{config.name}): {reason}")


def process_scope() -> str | None:
    """``host:pid-namespace``: where a pid means the same process (None off Linux)."""
    try:
        namespace = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return None
    return f"{socket.gethostname()}:{namespace}"


def instance_id(config: SyncPairConfig) -> str:
    """Who holds a lease: where, which pid, and a random part (pids get reused)."""
    scope = process_scope() or f"{socket.gethostname()}:?"
    return f"{scope}:{os.getpid()}:{uuid.uuid4().hex[:6]}:{config.name}"


def open_runtime(
    config: SyncPairConfig,
    settings: Settings | ProcessSettings,
    *,
    cancel: threading.Event | None = None,
    store: Any = None,
    lease: Any = None,
) -> PairRuntime:
    from jirasync_cli.jira import connect
    from jirasync_cli.sync.runtime import PairRuntime

    cancel = cancel or threading.Event()
    store = store or open_store(config, settings)
    try:
        client = connect(config.jira, cancel=cancel, pool_size=config.jira.concurrency + 2)
    except JiraUnavailable as exc:
        raise _unreachable_jira(config, exc) from None
    return PairRuntime(config=config, jira=client, store=store, lease=lease, cancel=cancel)
