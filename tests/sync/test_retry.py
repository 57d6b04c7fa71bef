"""Retry bookkeeping: which keys are fetched again next cycle (pure)."""

from __future__ import annotations

from jirasync_cli.sync.retry import REASON_LIMIT, Failure, attempts, due, next_retry, repeated


def test_failed_units_keep_both_keys_and_count_their_attempts():
    old = {"USER-1": {"attempts": 2, "reason": "boom"}, "DEV-1": {"attempts": 2, "reason": "boom"}}
    out = next_retry(
        old,
        [Failure("USER-1", "DEV-1", "boom again"), Failure("USER-2", None, "x" * 500)],
        seen={"USER-1", "DEV-1", "USER-2"},
        dropped=set(),
    )
    assert out == {
        "USER-1": {"attempts": 3, "reason": "boom again"},
        "DEV-1": {"attempts": 3, "reason": "boom again"},
        "USER-2": {"attempts": 1, "reason": "x" * REASON_LIMIT},
    }


def test_keys_fetched_without_failing_are_forgotten_and_unfetched_ones_wait():
    old = {
        "USER-1": {"attempts": 1, "reason": "a"},
        "USER-2": {"attempts": 4, "reason": "b"},
        "USER-3": {"attempts": 1, "reason": "c"},
    }
    # USER-1 was fetched and went through; USER-2 was beyond this cycle's share; USER-3 Jira named as gone.
    assert next_retry(old, [], seen={"USER-1"}, dropped={"USER-3"}) == {"USER-2": {"attempts": 4, "reason": "b"}}


def test_a_new_failure_replaces_the_entry_it_had():
    old = {"USER-1": {"attempts": 1, "reason": "a"}}
    assert next_retry(old, [Failure("USER-1", None, "b")], seen=set(), dropped=set()) == {
        "USER-1": {"attempts": 2, "reason": "b"}
    }


def test_due_takes_the_first_keys_in_order_up_to_the_limit():
    assert due({"B-2": {}, "A-1": {}, "C-3": {}}, 2) == ["A-1", "B-2"]
    assert due({}, 200) == []


def test_a_repeated_reason_is_recognised_to_be_said_once():
    old = {"USER-1": {"attempts": 1, "reason": "y" * REASON_LIMIT}}
    assert repeated(old, Failure("USER-1", None, "y" * 400))  # as stored: cut to the limit
    assert not repeated(old, Failure("USER-1", None, "other"))
    assert not repeated({}, Failure("USER-1", None, "other"))
    assert attempts(old, Failure("USER-1", None, "z")) == 2 and attempts({}, Failure("USER-1", None, "z")) == 1
