"""Which kind of cycle to run, and from when: the seed semantics (pure).

* no ``last_sync`` and not ``initial_sync_completed`` → initial FULL sync (no time filter),
  unless the pair has ``initialSyncEnabled: false``: then incremental from now;
* no ``last_sync`` but ``initial_sync_completed`` → the state was lost: incremental from
  now, no full resync;
* ``last_sync`` present → incremental from it minus the overlap window, never reaching
  before the moment the pair started watching (``watch_from``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class Why(StrEnum):
    INITIAL = "initial"  # first cycle: the initial full sync
    INITIAL_DISABLED = "initial_disabled"  # first cycle, the pair opted out of the full sync
    STATE_LOST = "state_lost"  # the watermark is gone although the initial sync was done
    RESUMED = "resumed"  # from the watermark


@dataclass(frozen=True)
class CycleMode:
    full: bool
    since: datetime | None  # the search's time filter (None: every issue)
    watch_from: datetime | None  # to store with the next watermark
    why: Why

    @property
    def name(self) -> str:
        return "full" if self.full else "incremental"


def choose_mode(
    *,
    last_sync: datetime | None,
    initial_sync_completed: bool,
    watch_from: datetime | None,
    initial_sync_enabled: bool,
    now: datetime,
    overlap: timedelta,
) -> CycleMode:
    """``now`` is Jira's clock; ``watch_from`` and the result's are as stored in the state."""
    if last_sync is None and not initial_sync_completed and initial_sync_enabled:
        return CycleMode(True, None, None, Why.INITIAL)
    if last_sync is None:
        # From now on: changes before this moment are out of scope, for good.
        return CycleMode(False, now, now, Why.STATE_LOST if initial_sync_completed else Why.INITIAL_DISABLED)
    since = last_sync - overlap
    if watch_from is not None:  # the overlap never reaches before we started watching
        since = max(since, watch_from)
    return CycleMode(False, since, watch_from, Why.RESUMED)
