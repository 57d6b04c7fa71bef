"""Lease owners: who is presumed dead, who holds the lease now."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from jirasync_cli.store.lease import _dead_on_this_host, owner_id, process_scope


@pytest.mark.skipif(process_scope() is None, reason="needs /proc (Linux)")
def test_only_dead_processes_of_our_own_namespace_are_presumed_dead():
    mine = owner_id("sync-ab")
    assert not _dead_on_this_host(mine), "we are alive"
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    scope = process_scope()
    assert _dead_on_this_host(f"{scope}:{gone.pid}:abc123:sync-ab")
    host, _ = scope.split(":")
    assert not _dead_on_this_host(f"{host}:4026531999:{gone.pid}:abc123:sync-ab"), "other namespace"
    assert not _dead_on_this_host(f"other-host:1:{gone.pid}:abc:sync-ab")
    assert not _dead_on_this_host(f"{host}:{os.getpid()}:abc:sync-ab"), "old-style ids are never presumed dead"


@pytest.mark.skipif(process_scope() is None, reason="needs /proc (Linux)")
def test_live_holder_is_the_unexpired_owner_of_a_live_process(mongo_url):
    from datetime import UTC, datetime, timedelta

    from pymongo import MongoClient

    from jirasync_cli.store.lease import live_holder

    client = MongoClient(mongo_url, tz_aware=True)
    database = f"lease_units_{os.getpid()}"
    lease = client[database].lease
    now = datetime.now(UTC)
    since = now.replace(microsecond=0) - timedelta(minutes=5)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()

    def put(owner, expires_in):
        lease.replace_one(
            {"_id": "lease"},
            {
                "_id": "lease",
                "owner": owner,
                "fence": 3,
                "acquired_at": since,
                "expires_at": now + timedelta(seconds=expires_in),
            },
            upsert=True,
        )
        return live_holder(client, database)

    try:
        assert live_holder(client, database) is None, "never taken"
        holder = put("other-host:4026531836:4711:abc123:sync-ab", 30)
        assert (holder.host, holder.pid, holder.since) == ("other-host", 4711, since)
        assert holder.describe() == f"other-host pid 4711 since {since:%Y-%m-%d %H:%M:%S} UTC"
        assert put("other-host:4026531836:4711:abc123:sync-ab", -1) is None, "expired"
        assert put(None, 30) is None, "released"
        assert put(f"{process_scope()}:{gone.pid}:abc123:sync-ab", 30) is None, "its process is gone"
        assert put(f"{process_scope()}:{os.getpid()}:abc123:sync-ab", 30).pid == os.getpid()
    finally:
        client.drop_database(database)
        client.close()
