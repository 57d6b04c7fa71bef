"""Scenario 2: MongoDB goes away for a while under a running supervisor while people keep
working. Workers must ride it out (no crash loop, no restart), report it (every pair fails,
so ``/health`` says unhealthy with 503 and each last cycle shows the failure), and once
MongoDB is back on the same port with its data, converge as if nothing had happened."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from tests.chaos.harness import (
    CONVERGE_SECONDS,
    FULL,
    People,
    check_invariants,
    database,
    make_world,
    wait_converged,
    wait_initial_sync,
    write_configs,
)
from tests.fixtures.supervisor import alive
from tests.helpers import wait_for

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(1500 if FULL else 600)]

SPECS = [("sync-ab", "USER", "DEV"), ("sync-cd", "CS", "BILL")]
ISSUES = 300 if FULL else 60
OUTAGE_SECONDS = 30.0 if FULL else 12.0


def test_mongodb_outage_is_ridden_out_and_converges(chaos, tmp_path):
    storage = tmp_path / "mongo-data"
    storage.mkdir()
    mongo = chaos.mongo(storage=storage)
    emu = chaos.emulator()
    pairs = make_world(emu, SPECS, ISSUES // len(SPECS), chaos.tag)
    config_dir = write_configs(emu, pairs, tmp_path / "config")
    sup = chaos.supervisor(emu, mongo.url, config_dir).start()
    names = [p.name for p in pairs]
    sup.wait_running(names, 60)
    wait_initial_sync(mongo.url, pairs)

    people = chaos.track(People(emu, pairs, escalate_within=OUTAGE_SECONDS, steps_per_second=10).start())
    wait_for(lambda: len(people.dev_of) >= 5, 60, message="some dev issues before the outage")
    pids = sup.children()
    mapped_before = sum(database(mongo.url, p).issue_map.count_documents({}) for p in pairs)

    mongo.stop()
    outage_started = time.monotonic()
    unhealthy = wait_for(
        lambda: (lambda doc: doc if doc["status"] == "unhealthy" else None)(sup.health()),
        OUTAGE_SECONDS + 30,
        interval=0.3,
        message="/health unhealthy while MongoDB is away",
    )
    assert unhealthy["_code"] == 503, unhealthy
    failing = {w["name"]: w["error"] for w in unhealthy["workers"] if not w["ok"]}
    assert set(failing) == set(names) and all(failing.values()), unhealthy["workers"]
    assert all(w["last_cycle"]["result"] == "failed" for w in unhealthy["workers"]), unhealthy["workers"]
    while time.monotonic() - outage_started < OUTAGE_SECONDS:
        doc = sup.health()
        assert doc["_code"] == 503 and doc["status"] == "unhealthy", doc  # nothing can sync until MongoDB is back
        assert all(w["restarts"] == 0 for w in doc["workers"]), doc["workers"]
        assert sup.children() == pids, "workers must not crash or be restarted during an outage"
        time.sleep(0.5)
    outage = time.monotonic() - outage_started

    mongo.start(timeout=60)  # same port, same data directory
    mapped_after = sum(database(mongo.url, p).issue_map.count_documents({}) for p in pairs)
    assert mapped_after >= mapped_before, "the embedded server lost data across the restart (test artefact)"
    time.sleep(5)  # people keep working a little after the outage
    people.stop()
    quiet_since = datetime.now(UTC)
    final = wait_converged(mongo.url, pairs, quiet_since, timeout=CONVERGE_SECONDS, sup=sup)

    assert sup.children() == pids and alive(list(pids.values())) == list(pids.values())
    health = sup.health()
    assert all(w["restarts"] == 0 for w in health["workers"]), health["workers"]
    assert health["status"] == "healthy", health
    assert not people.errors, people.errors[:5]
    findings = check_invariants(emu, mongo.url, pairs, people, people.escalated, final)
    print(
        f"\noutage {outage:.0f}s: people {dict(people.actions)}, checked {dict(findings.stats)}, "
        f"worker errors during the outage {failing}"
    )
    findings.assert_none(" after a MongoDB outage")
