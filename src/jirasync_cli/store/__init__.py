"""MongoDB state: one database per pair (sync state, mappings, snapshots, journal, audit, lease)."""

from jirasync_cli.store.lease import Lease, LeaseBusy, LeaseLost, holding, owner_id
from jirasync_cli.store.mongo import StoreUnavailable, mongo_client, server_now
from jirasync_cli.store.pair import PairStore, SyncState

__all__ = [
    "Lease",
    "LeaseBusy",
    "LeaseLost",
    "PairStore",
    "StoreUnavailable",
    "SyncState",
    "holding",
    "mongo_client",
    "owner_id",
    "server_now",
]
