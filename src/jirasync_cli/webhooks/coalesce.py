"""Turning a pair's webhook events into as few cycles as keep it current (pure, no I/O).

* the first event of a burst arms a timer ``debounce`` seconds ahead; events until it fires,
  and until the cycle it asks for has started, are *coalesced* (that cycle will see them);
* events while a cycle runs schedule exactly one follow-up cycle, armed when it finishes;
* any cycle that starts (a poll too) covers the events before it: a pending timer is void;
* a cycle that covered events is followed by one *recheck* ``recheck`` seconds after it ends
  (0: none): Jira Cloud's search shows a change a few seconds after its webhook, so the
  first cycle may have run too early; an event meanwhile turns the recheck into a normal,
  debounced cycle (which gets its own recheck);
* a requested cycle that never starts (the worker stands by, or is restarting) is given up
  after ``request_timeout``, so a lost nudge never silences the pair's webhooks.

The supervisor feeds it (:meth:`event`, :meth:`started`, :meth:`finished`, :meth:`fire`,
:meth:`reset`) and acts on what it answers: a time to arm a timer for, or "nudge the worker".
"""

from __future__ import annotations

from dataclasses import dataclass

IDLE, ARMED, REQUESTED, RUNNING = "idle", "armed", "requested", "running"


@dataclass
class Coalescer:
    debounce: float = 0.5
    request_timeout: float = 60.0
    state: str = IDLE
    due: float | None = None  # when the armed timer fires
    requested_at: float | None = None
    recheck: float = 0.0
    follow_up: bool = False  # an event came while the cycle ran
    covering: bool = False  # the running cycle covers events (so a recheck follows it)
    rechecking: bool = False  # the armed timer (or the running cycle) is a recheck
    coalesced: int = 0  # events that caused no cycle of their own
    accepted: int = 0

    def event(self, now: float) -> float | None:
        """An event for this pair; returns a time to arm a timer for, or None."""
        self.accepted += 1
        if self.state == REQUESTED and self.requested_at is not None and now - self.requested_at > self.request_timeout:
            self.state = IDLE  # the nudge was lost (worker restarting, standing by): start over
        if self.state == IDLE:
            return self._arm(now)
        if self.state == ARMED and self.rechecking:  # a new event: a normal cycle, sooner than the recheck
            self.rechecking = False
            self.due = min(self.due if self.due is not None else now + self.debounce, now + self.debounce)
            return self.due
        if self.state == RUNNING and not self.follow_up:
            self.follow_up = True
            return None
        self.coalesced += 1  # ARMED, REQUESTED, or RUNNING with a follow-up already due
        return None

    def fire(self, now: float) -> bool:
        """The timer came due: True means "nudge the worker now"."""
        if self.state != ARMED or self.due is None or now < self.due:
            return False  # void: a cycle started meanwhile, or re-armed later
        self.state, self.due, self.requested_at = REQUESTED, None, now
        return True

    def started(self, now: float) -> None:
        """A cycle started (asked for or not): it covers every event before it."""
        self.covering = self.state in (ARMED, REQUESTED)
        self.state, self.due, self.requested_at = RUNNING, None, None

    def finished(self, now: float) -> float | None:
        """The cycle ended (well or not); returns a time to arm the follow-up timer for."""
        if self.state != RUNNING:
            return None
        self.state = IDLE
        was_recheck, self.rechecking = self.rechecking, False
        if self.follow_up:
            self.follow_up = False
            return self._arm(now)
        if self.covering and not was_recheck and self.recheck > 0:
            self.rechecking = True
            self.state, self.due = ARMED, now + self.recheck
            return self.due
        return None

    def reset(self) -> None:
        """The worker went away: whatever it had been asked is moot (a new one syncs at start)."""
        self.state, self.due, self.requested_at, self.follow_up = IDLE, None, None, False
        self.covering = self.rechecking = False

    def _arm(self, now: float) -> float:
        self.state, self.due = ARMED, now + self.debounce
        return self.due
