"""MongoDB state: one database per pair (sync state, mappings, snapshots, journal, audit, lease)."""

from jirasync_cli.store.lease import Lease, LeaseLost
from jirasync_cli.store.mongo import StoreUnavailable, mongo_client, server_now
from jirasync_cli.store.pair import Mapping, PairStore, Snapshot, SyncState

__all__ = [
    "Lease",
    "LeaseLost",
    "Mapping",
    "PairStore",
    "Snapshot",
    "StoreUnavailable",
    "SyncState",
    "mongo_client",
    "server_now",
]
