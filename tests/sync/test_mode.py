"""Which cycle to run and from when (the seed semantics), without Jira or MongoDB."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from jirasync_cli.sync.mode import Why, choose_mode

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
OVERLAP = timedelta(minutes=2)


def mode(last_sync=None, completed=False, watch_from=None, enabled=True):
    return choose_mode(
        last_sync=last_sync,
        initial_sync_completed=completed,
        watch_from=watch_from,
        initial_sync_enabled=enabled,
        now=NOW,
        overlap=OVERLAP,
    )


def test_first_cycle_is_a_full_sync_without_a_time_filter():
    m = mode()
    assert (m.full, m.name, m.since, m.watch_from, m.why) == (True, "full", None, None, Why.INITIAL)


def test_first_cycle_of_a_pair_without_initial_sync_watches_from_now():
    m = mode(enabled=False)
    assert (m.full, m.name, m.since, m.watch_from, m.why) == (False, "incremental", NOW, NOW, Why.INITIAL_DISABLED)


def test_lost_watermark_after_the_initial_sync_resumes_from_now_without_a_full_resync():
    m = mode(completed=True)
    assert (m.full, m.since, m.watch_from, m.why) == (False, NOW, NOW, Why.STATE_LOST)
    assert mode(completed=True, enabled=False).why is Why.STATE_LOST


def test_watermark_resumes_with_the_overlap_and_keeps_its_watch_start():
    last = NOW - timedelta(minutes=10)
    m = mode(last_sync=last, completed=True)
    assert (m.full, m.since, m.watch_from, m.why) == (False, last - OVERLAP, None, Why.RESUMED)
    # The overlap never reaches before the pair started watching; the start is kept as it was.
    started = last - timedelta(minutes=1)
    m = mode(last_sync=last, completed=True, watch_from=started)
    assert (m.since, m.watch_from) == (started, started)
    early = last - timedelta(hours=1)
    assert mode(last_sync=last, completed=True, watch_from=early).since == last - OVERLAP


def test_a_watermark_wins_over_a_missing_completion_flag():
    last = NOW - timedelta(minutes=10)
    assert mode(last_sync=last, completed=False).why is Why.RESUMED
