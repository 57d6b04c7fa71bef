"""Scenario 3: the supervisor is SIGKILLed in the middle of a busy cycle (slow Jira, many
issues in flight). Its workers must notice (stdin EOF) and exit on their own; a new supervisor
on the same config dir and MongoDB must pick the work up and converge with no duplicate."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest

from tests.chaos.harness import (
    CONVERGE_SECONDS,
    FULL,
    People,
    check_invariants,
    make_world,
    wait_converged,
    wait_initial_sync,
    write_configs,
)
from tests.fixtures.supervisor import alive
from tests.helpers import wait_for

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(1500 if FULL else 600)]

SPECS = [("sync-ab", "USER", "DEV"), ("sync-cd", "CS", "BILL")]
ISSUES = 400 if FULL else 80
KILLS = 3 if FULL else 1
LATENCY_MS = (60, 140)


def json_lines(path) -> list[dict]:
    out = []
    for line in path.read_text().splitlines():
        if line.startswith("{"):
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
    return out


def _creates(emu) -> int:
    return sum(1 for e in emu.request_log if e.method == "POST" and e.path.endswith("/issue") and e.status < 300)


def test_supervisor_killed_mid_cycle_workers_exit_and_successor_converges(chaos, mongo_url, tmp_path):
    emu = chaos.emulator()
    pairs = make_world(emu, SPECS, ISSUES // len(SPECS), chaos.tag)
    config_dir = write_configs(emu, pairs, tmp_path / "config")
    names = [p.name for p in pairs]
    sup = chaos.supervisor(emu, mongo_url, config_dir, tmp_path / "supervisor0.log").start()
    sup.wait_running(names, 60)
    wait_initial_sync(mongo_url, pairs)

    emu.faults.latency_ms = LATENCY_MS  # every request is slow: a cycle with work takes seconds
    # Support escalates everything at once: the next cycles have many creates to make.
    people = chaos.track(People(emu, pairs, escalate_within=0, steps_per_second=15).start())
    escalations = len(people.to_escalate)
    stories = []
    for round_ in range(KILLS):
        before = _creates(emu)
        # Mid-cycle: dev issues are being created right now, and plenty remain to create.
        wait_for(lambda before=before: _creates(emu) >= before + 3, 90, interval=0.1, message="creates in flight")
        workers = sup.children()
        assert set(workers) == set(names)
        sup.kill_hard()
        killed_at = time.monotonic()
        wait_for(
            lambda workers=workers: not alive(list(workers.values())),
            60,
            interval=0.1,
            message="workers exit on their own once their supervisor is gone",
        )
        exited_after = time.monotonic() - killed_at
        # They stopped, not died: each logged its last line (lease released, Jira closed).
        stopped = {line.get("worker") for line in json_lines(sup.log) if line.get("message") == "worker stopped"}
        assert stopped >= set(names), sup.log.read_text()[-3000:]
        stories.append(
            f"kill {round_ + 1}: {_creates(emu)} of {escalations} created, workers gone after {exited_after:.1f}s"
        )
        sup = chaos.supervisor(emu, mongo_url, config_dir, tmp_path / f"supervisor{round_ + 1}.log").start()
        sup.wait_running(names, 60)

    wait_for(
        lambda: len(people.dev_of) >= escalations,
        180 if FULL else 90,
        interval=0.5,
        message="every escalated issue has its dev issue",
    )
    time.sleep(5)  # developers keep working on the new dev issues for a moment
    people.stop()
    emu.faults.clear()
    quiet_since = datetime.now(UTC)
    final = wait_converged(mongo_url, pairs, quiet_since, timeout=CONVERGE_SECONDS, sup=sup)

    assert not people.errors, people.errors[:5]
    findings = check_invariants(emu, mongo_url, pairs, people, people.escalated, final)
    print(f"\n{'; '.join(stories)}; people {dict(people.actions)}, checked {dict(findings.stats)}")
    findings.assert_none(" after the supervisor was killed mid-cycle")
    assert sup.health()["status"] == "healthy"
