"""Lookups by many keys go in bounded batches and still find everything, once."""

from __future__ import annotations

import uuid

import pytest

from jirasync_cli.store import PairStore, mongo_client
from jirasync_cli.store import pair as pair_module


@pytest.fixture
def store(mongo_url):
    client = mongo_client(mongo_url)
    s = PairStore(client, f"t_{uuid.uuid4().hex[:10]}", "sync-t")
    s.ensure_indexes()
    yield s
    client.drop_database(s.database)
    client.close()


def test_mappings_and_snapshots_by_many_keys_in_batches(store, monkeypatch):
    monkeypatch.setattr(pair_module, "QUERY_KEYS", 7)
    store.db.issue_map.insert_many([{"_id": f"U-{i}", "dev_key": f"D-{i}", "state": "linked"} for i in range(40)])
    store.db.snapshots.insert_many([{"_id": f"U-{i}", "side": "user", "status": "Open"} for i in range(40)])
    sizes: list[int] = []
    find = type(store.db.issue_map).find

    def counting(collection, query, *args, **kwargs):
        assert "$or" not in query
        sizes.append(sum(len(v["$in"]) for v in query.values() if isinstance(v, dict)))
        return find(collection, query, *args, **kwargs)

    monkeypatch.setattr(type(store.db.issue_map), "find", counting)
    # Users 0-29 by user key, users 20-39 by dev key (overlapping): each mapping once.
    mappings = store.mappings_for(
        user_keys=[f"U-{i}" for i in range(30)] + ["U-0"], dev_keys=[f"D-{i}" for i in range(20, 40)]
    )
    assert sorted(m.user_key for m in mappings) == sorted(f"U-{i}" for i in range(40))
    assert max(sizes) <= 7
    sizes.clear()
    snaps = store.snapshots(f"U-{i}" for i in range(0, 40, 2))
    assert sorted(snaps) == sorted(f"U-{i}" for i in range(0, 40, 2)) and max(sizes) <= 7
    sizes.clear()
    assert store.mappings_for() == [] and sizes == []
