"""``run-worker --once``: one cycle under the pair's lease (a dry run needs no lease)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jirasync_cli.errors import JirasyncError
from jirasync_cli.runtime.wiring import instance_id, open_runtime, open_store
from jirasync_cli.store import Lease
from jirasync_cli.sync.cycle import CycleReport, Progress, run_cycle

if TYPE_CHECKING:
    from jirasync_cli.config import SyncPairConfig
    from jirasync_cli.settings import Settings


def run_once(config: SyncPairConfig, settings: Settings, *, dry_run: bool = False,
             progress: Progress | None = None) -> CycleReport:
    store = open_store(config, settings, indexes=not dry_run)
    lease = None
    if not dry_run:
        lease = Lease(store.client, config.db_name, instance_id(config), settings.lease_ttl_seconds)
        if not lease.acquire():
            raise JirasyncError(
                f"another runner holds the lease of {config.name} ({lease.describe_holder()}); "
                "it is being synced already", exit_code=3,
            )
        store.fence = lease.fence
        lease.start_renewal()
    rt = None
    try:
        rt = open_runtime(config, settings, store=store, lease=lease)
        return run_cycle(rt, dry_run=dry_run, progress=progress)
    finally:
        if lease is not None:
            lease.release()
        if rt is not None:
            rt.jira.close()
