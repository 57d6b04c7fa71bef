"""Scenario 1: Jira misbehaves (5xx, lost write responses, 429 bursts, latency) while people
work and worker processes are SIGKILLed every few seconds; once the storm is over the sync
must converge to exactly the state a fault-free run would reach: no duplicate, nothing lost."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from tests.chaos.harness import (
    CONVERGE_SECONDS,
    FULL,
    FaultSchedule,
    Killer,
    People,
    check_invariants,
    make_world,
    wait_converged,
    wait_initial_sync,
    write_configs,
)

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(1500 if FULL else 600)]

SPECS = [("sync-ab", "USER", "DEV"), ("sync-cd", "CS", "BILL")]
ISSUES = 1000 if FULL else 200  # across both pairs
STORM_SECONDS = 180.0 if FULL else 40.0
KILL_EVERY = 4.0 if FULL else 3.5


def test_faults_and_worker_kills_converge_without_duplicates(chaos, mongo_url, tmp_path):
    emu = chaos.emulator()
    pairs = make_world(emu, SPECS, ISSUES // len(SPECS), chaos.tag)
    config_dir = write_configs(emu, pairs, tmp_path / "config")
    sup = chaos.supervisor(emu, mongo_url, config_dir).start()
    names = [p.name for p in pairs]
    sup.wait_running(names, 60)
    wait_initial_sync(mongo_url, pairs)

    storm_started = time.monotonic()
    faults = chaos.track(FaultSchedule(emu).start())
    people = chaos.track(People(emu, pairs, escalate_within=STORM_SECONDS * 0.5).start())
    killer = chaos.track(Killer(sup, KILL_EVERY).start())
    time.sleep(STORM_SECONDS)  # the storm's length: what happens in it is observed below, not timed
    killer.stop()
    faults.stop()
    people.stop()
    quiet_since = datetime.now(UTC)
    storm = time.monotonic() - storm_started

    assert not people.errors, people.errors[:5]
    assert sum(killer.kills.values()) >= 5, f"the storm killed too few workers: {dict(killer.kills)}"
    # Every killed worker was restarted and runs again; none was given up on.
    sup.wait_running(names, 90)
    final = wait_converged(mongo_url, pairs, quiet_since, timeout=CONVERGE_SECONDS, sup=sup)

    health = sup.health()
    for worker in health["workers"]:
        assert worker["restarts"] >= killer.kills[worker["name"]], worker
        assert worker["state"] == "running" and worker["pid"], worker
    findings = check_invariants(emu, mongo_url, pairs, people, people.escalated, final)
    print(
        f"\nstorm {storm:.0f}s: people {dict(people.actions)}, kills {dict(killer.kills)}, "
        f"429 bursts {faults.bursts}, faults {emu_fault_counts(emu)}, checked {dict(findings.stats)}, "
        f"converged after {(datetime.now(UTC) - quiet_since).total_seconds():.0f}s"
    )
    findings.assert_none(" after faults and kills")
    assert health["status"] == "healthy", health
    log = sup.log.read_text()
    assert "marked failed" not in log, "kills from outside must never mark a worker failed"
    assert log.count('"cause": "stopped from outside"') >= sum(killer.kills.values()) - 1


def emu_fault_counts(emu) -> dict[str, int]:
    from collections import Counter

    return dict(Counter(e.fault for e in emu.request_log if e.fault))
