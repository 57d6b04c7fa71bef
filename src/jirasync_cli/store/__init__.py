"""MongoDB state: one database per pair (sync state, mappings, snapshots, journal, audit, lease)."""

from jirasync_cli.store.lease import Lease, LeaseLost
from jirasync_cli.store.mongo import StoreUnavailable, mongo_client, server_now
from jirasync_cli.store.pair import PairStore, SyncState

__all__ = [
    "Lease",
    "LeaseLost",
    "PairStore",
    "StoreUnavailable",
    "SyncState",
    "mongo_client",
    "server_now",
]
