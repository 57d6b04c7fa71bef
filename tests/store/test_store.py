"""Store behaviour that depends on a real database: unique indexes, fencing, leases."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime

import pytest

from jirasync_cli.store import (
    Lease,
    LeaseBusy,
    LeaseLost,
    PairStore,
    StoreUnavailable,
    holding,
    mongo_client,
    owner_id,
)
from jirasync_cli.sync.records import Intent, IntentKind


@pytest.fixture
def client(mongo_url):
    c = mongo_client(mongo_url)
    yield c
    c.close()


@pytest.fixture
def store(client):
    s = PairStore(client, f"t_{uuid.uuid4().hex[:10]}", "sync-t")
    s.ensure_indexes()
    s.ensure_indexes()  # idempotent
    yield s
    client.drop_database(s.database)


def test_mapping_unique_on_both_keys(store):
    now = datetime.now(UTC)
    assert store.begin_create("U-1", "i1", link=True, rule_id="r", at=now) is not None
    assert store.begin_create("U-1", "i1", link=True, rule_id="r", at=now) is None  # never twice
    batch = store.batch()
    batch.create_done("U-1", "D-1", linked=True)
    batch.flush()
    store.begin_create("U-2", "i2", link=True, rule_id="r", at=now)
    batch.create_done("U-2", "D-1", linked=True)
    with pytest.raises(StoreUnavailable, match="duplicate key"):
        batch.flush()
    assert store.adopt_mapping("U-3", "D-1", linked=False) is False
    assert store.mapping_by_dev("D-1").user_key == "U-1"
    assert store.count_mappings() == {"linked": 1, "pending": 1, "failed": 0}


def test_intents_are_recorded_once(store):
    intent = Intent("comment:x", IntentKind.COMMENT, "U-1", {"source": ["D-1", "7"]})
    assert store.begin_intent(intent) is None
    again = store.begin_intent(intent)
    assert again == intent and not again.done
    assert store.pending_intents() == [intent]
    assert store.db.journal.find_one({"_id": "comment:x"}, {"_id": 0, "created_at": 0}) == {
        "kind": "comment",
        "key": "U-1",
        "state": "pending",
        "data": {"source": ["D-1", "7"]},
        "fence": 0,
    }
    batch = store.batch()
    batch.intent_done("comment:x", {"comment_id": "5"})
    batch.flush()
    done = store.begin_intent(intent)
    assert done.done and done.result == {"comment_id": "5"}
    assert store.pending_intents() == []


def test_state_writes_are_fenced(store):
    store.fence = 2
    store.save_state(last_sync=datetime(2026, 1, 1, tzinfo=UTC), initial_sync_completed=True)
    stale = PairStore(store.client, store.database, store.pair)
    stale.fence = 1
    with pytest.raises(LeaseLost, match="newer lease holder"):
        stale.save_state(last_sync=datetime(2020, 1, 1, tzinfo=UTC))
    assert store.load_state().last_sync == datetime(2026, 1, 1, tzinfo=UTC)


def test_reset_keeps_mappings_unless_asked(store):
    store.begin_create("U-1", "i1", link=True, rule_id="r", at=datetime.now(UTC))
    batch = store.batch()
    batch.create_done("U-1", "D-1", linked=True)
    batch.snapshot("U-1", {"status": "Open"})
    batch.flush()
    store.save_state(last_sync=datetime.now(UTC), initial_sync_completed=True)
    store.reset_state()
    state = store.load_state()
    assert state.last_sync is None and not state.initial_sync_completed
    assert store.mapping("U-1").dev_key == "D-1"
    assert store.snapshots(["U-1"])["U-1"].status == "Open"
    store.reset_state(forget_mappings=True)
    assert store.mapping("U-1") is None and store.snapshots(["U-1"]) == {}


def test_snapshot_records_do_not_clobber_each_other(store):
    batch = store.batch()
    batch.snapshot("U-1", {"status": "Open", "comments": {"1": "h"}})
    batch.own_comment("U-1", "9", "h9", source=("D-1", "4"))
    batch.flush()
    batch.snapshot("U-1", {"status": "Will Do", "comments": {"1": "h", "2": "h2"}})
    batch.flush()
    snaps = store.snapshots(["U-1", "D-1"])
    assert snaps["U-1"].own == {"9"} and snaps["U-1"].status == "Will Do"
    assert snaps["D-1"].mirrors == {"4": "9"}


def test_lease_one_holder_fence_grows_and_takeover_after_expiry(client):
    db = f"lease_{uuid.uuid4().hex[:8]}"
    a = Lease(client, db, "a", ttl=1.0)
    b = Lease(client, db, "b", ttl=1.0)
    assert a.acquire()
    assert not b.acquire()
    assert a.renew()
    first = a.fence
    time.sleep(1.3)  # a stops renewing: its lease lapses
    assert not a.valid()
    with pytest.raises(LeaseLost):
        a.check()
    assert b.acquire() and b.fence == first + 1
    assert not a.renew()  # a can't silently come back
    b.release()
    assert a.acquire() and a.fence == first + 2
    client.drop_database(db)


def test_lease_contention_has_exactly_one_winner(client):
    db = f"lease_{uuid.uuid4().hex[:8]}"
    leases = [
        Lease(
            mongo_client(
                client.address
                and f"mongodb://{client.address[0]}:{client.address[1]}/?directConnection=true&retryWrites=false"
            ),
            db,
            f"o{i}",
            ttl=30,
        )
        for i in range(6)
    ]
    barrier = threading.Barrier(len(leases))
    wins = []

    def go(lease):
        barrier.wait()
        if lease.acquire():
            wins.append(lease.owner)

    threads = [threading.Thread(target=go, args=(lease,)) for lease in leases]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 1
    client.drop_database(db)


def test_holding_fences_writes_keeps_the_lease_and_lets_go_when_fenced_out(store):
    """The one lease protocol of `run-worker --once` and the worker loop."""
    other = Lease(store.client, store.database, owner_id("sync-t"), ttl=30)
    with Lease(store.client, store.database, owner_id("sync-t"), ttl=30) as lease:
        with holding(lease, store):
            assert store.fence == lease.fence and lease.held and lease._renewer is not None
            store.save_state(initial_sync_completed=True)
        assert lease.held, "kept between cycles"
        with (
            pytest.raises(LeaseBusy, match=r"another runner holds the lease of sync-t \(\S+:\d+:\d+:\w+:sync-t "),
            holding(other, store),
        ):
            pass
        with pytest.raises(LeaseLost, match="newer lease holder"), holding(lease, store):
            store.db.sync_state.update_one({"_id": "state"}, {"$set": {"fence": lease.fence + 1}})
            store.save_state(initial_sync_completed=False)
        assert not lease.held and lease._renewer is None, "fenced out: no longer held, no longer renewed"
    assert store.load_state().initial_sync_completed, "the fenced-out write changed nothing"


def test_unreachable_mongo_is_one_clear_error():
    s = PairStore(mongo_client("mongodb://127.0.0.1:1/?directConnection=true", timeout_ms=300), "x", "p")
    with pytest.raises(StoreUnavailable, match="unreachable"):
        s.load_state()
