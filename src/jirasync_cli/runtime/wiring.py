"""Wiring: find a pair's config, open its store and its Jira client, build its runtime."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jirasync_cli.config.pair import JiraSite, PairConfig
from jirasync_cli.errors import JirasyncError
from jirasync_cli.jira.errors import JiraUnavailable
from jirasync_cli.settings import Settings

if TYPE_CHECKING:
    from jirasync_cli.jira.crosssite import CrossSiteJira
    from jirasync_cli.store import Lease, PairStore
    from jirasync_cli.sync.runtime import PairRuntime

_clients: dict[str, Any] = {}
_clients_lock = threading.Lock()


def find_config(config_dir: Path, name: str) -> PairConfig:
    """The valid config named ``name`` (or whose file is ``name``/``sync-name.json``)."""
    from jirasync_cli.config.loader import load_config_dir  # pydantic: only where files are read

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


def mongo(settings: Settings) -> Any:
    from jirasync_cli.store import mongo_client

    with _clients_lock:
        client = _clients.get(settings.mongodb_url)
        if client is None:
            client = _clients[settings.mongodb_url] = mongo_client(settings.mongodb_url)
        return client


def open_store(config: PairConfig, settings: Settings, *, indexes: bool = True) -> PairStore:
    from jirasync_cli.store import PairStore

    store = PairStore(mongo(settings), config.db_name, config.name)
    if indexes:
        store.ensure_indexes()
    return store


def _unreachable_jira(
    config: PairConfig, exc: Exception, site: JiraSite | None = None, setting: str = "jira"
) -> JirasyncError:
    """Which Jira, chosen by which setting, and why it does not answer."""
    from jirasync_cli.endpoints import host_port, probe

    site = site or config.jira
    reason = probe(site.base_url, timeout=min(5.0, site.timeout_seconds)) or str(exc)
    return JirasyncError(
        f"cannot connect to Jira at {host_port(site.base_url)} ({setting}.baseUrl of {config.name}): {reason}"
    )


def open_runtime(
    config: PairConfig,
    settings: Settings,
    *,
    cancel: threading.Event | None = None,
    store: PairStore | None = None,
    lease: Lease | None = None,
) -> PairRuntime:
    from jirasync_cli.jira import connect
    from jirasync_cli.sync.runtime import PairRuntime

    cancel = cancel or threading.Event()
    store = store or open_store(config, settings)
    if config.cross_site:
        return PairRuntime(config=config, jira=connect_sites(config, cancel), store=store, lease=lease, cancel=cancel)
    try:
        client = connect(config.jira, cancel=cancel, pool_size=config.jira.concurrency + 2)
    except JiraUnavailable as exc:
        raise _unreachable_jira(config, exc) from None
    return PairRuntime(config=config, jira=client, store=store, lease=lease, cancel=cancel)


def connect_sites(config: PairConfig, cancel: threading.Event | None = None) -> CrossSiteJira:
    """A cross-site pair's two clients, each with its own pacing, clock and identity, behind
    one (:class:`~jirasync_cli.jira.crosssite.CrossSiteJira`). Says which site does not answer."""
    from jirasync_cli.jira import connect
    from jirasync_cli.jira.crosssite import CrossSiteJira

    clients = []
    for site, setting in (
        (config.user_site, "userJira" if config.user_jira else "jira"),
        (config.dev_site, "devJira" if config.dev_jira else "jira"),
    ):
        try:
            clients.append(connect(site, cancel=cancel, pool_size=site.concurrency + 2))
        except JiraUnavailable as exc:
            for client in clients:
                client.close()
            raise _unreachable_jira(config, exc, site, setting) from None
    return CrossSiteJira(
        clients[0],
        clients[1],
        user_project=config.user_project_key,
        dev_project=config.dev_project_key,
        pair=config.name,
    )
