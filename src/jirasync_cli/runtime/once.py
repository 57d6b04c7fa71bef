"""``run-worker --once``: one cycle under the pair's lease (a dry run needs no lease)."""

from __future__ import annotations

from jirasync_cli.config.pair import PairConfig
from jirasync_cli.runtime.wiring import open_runtime, open_store
from jirasync_cli.settings import Settings
from jirasync_cli.store import Lease, PairStore, holding, owner_id
from jirasync_cli.sync.cycle import CycleReport, Progress, run_cycle


def run_once(
    config: PairConfig, settings: Settings, *, dry_run: bool = False, progress: Progress | None = None
) -> CycleReport:
    """One cycle; :class:`~jirasync_cli.store.LeaseBusy` while another runner syncs the pair,
    :class:`~jirasync_cli.store.LeaseLost` if one takes over meanwhile (both exit 3)."""
    store = open_store(config, settings, indexes=not dry_run)
    if dry_run:
        return _cycle(config, settings, store, None, dry_run=True, progress=progress)
    with (
        Lease(store.client, config.db_name, owner_id(config.name), settings.lease_ttl_seconds) as lease,
        holding(lease, store),
    ):
        return _cycle(config, settings, store, lease, dry_run=False, progress=progress)


def _cycle(
    config: PairConfig,
    settings: Settings,
    store: PairStore,
    lease: Lease | None,
    *,
    dry_run: bool,
    progress: Progress | None,
) -> CycleReport:
    rt = open_runtime(config, settings, store=store, lease=lease)
    try:
        return run_cycle(rt, dry_run=dry_run, progress=progress)
    finally:
        rt.jira.close()
