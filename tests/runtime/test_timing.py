"""Timing policies of workers and supervisor: the cycle grid, backoff, heartbeats."""

from __future__ import annotations

import pytest

from jirasync_cli.runtime.timing import backoff, heartbeat_period, heartbeat_timeout, next_slot


def test_cycles_stay_on_the_grid_and_skip_the_slots_an_overrun_missed():
    assert next_slot(100.0, 60.0, 130.0) == 160.0  # a short cycle: the next slot
    assert next_slot(100.0, 60.0, 160.0) == 220.0  # exactly on a slot: that one has run
    assert next_slot(100.0, 60.0, 345.0) == 400.0  # overran 4 slots: no back-to-back catch-up
    assert next_slot(100.0, 60.0, 90.0) == 100.0  # before the start: the start


def test_backoff_grows_exponentially_up_to_its_cap():
    delays = [backoff(n, base=1.0, factor=2.0, cap=10.0, jitter=0) for n in range(7)]
    assert delays == [0.0, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0]


@pytest.mark.parametrize("failures", [1, 3, 20])
def test_backoff_jitter_stays_within_its_share(failures):
    plain = backoff(failures, base=1.0, factor=2.0, cap=10.0, jitter=0)
    seen = {backoff(failures, base=1.0, factor=2.0, cap=10.0, jitter=0.2) for _ in range(200)}
    assert all(0.8 * plain <= d <= 1.2 * plain for d in seen)
    assert len(seen) > 1, "jittered: restarts of many workers do not line up"


def test_heartbeats_follow_the_interval_within_bounds():
    assert heartbeat_period(3.0) == 1.5  # half the interval
    assert heartbeat_period(0.5) == 1.0  # but at most once a second
    assert heartbeat_period(3600.0) == 15.0  # and at least every 15 s, however long the interval


def test_a_worker_is_hung_only_after_missing_three_heartbeats():
    for interval in (3.0, 60.0, 3600.0):
        assert heartbeat_timeout(interval) == 3 * heartbeat_period(interval) + 5.0
    assert heartbeat_timeout(3.0) == 9.5  # what tests/process rely on (FAST intervals)
