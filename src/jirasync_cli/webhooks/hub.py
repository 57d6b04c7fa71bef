"""The supervisor's side of webhooks: one :class:`~.coalesce.Coalescer` per listening pair,
fed by the receiver's queue and the workers' ``cycle`` reports; it tells the supervisor when
to arm a timer and which worker to nudge. Runs on the supervisor's loop only."""

from __future__ import annotations

import os
import time
from typing import Any

from jirasync_cli.webhooks.coalesce import Coalescer
from jirasync_cli.webhooks.receiver import Receiver
from jirasync_cli.webhooks.routing import Listener, Routes


class Hub:
    def __init__(self, secret: str | None) -> None:
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_r, False)
        os.set_blocking(self.wake_w, False)
        self.receiver = Receiver(secret, wake=self._wake)
        self.pairs: dict[str, Coalescer] = {}
        self.last_event: dict[str, float] = {}  # pair -> wall time of its last routed delivery
        self.received: dict[str, int] = {}

    def _wake(self) -> None:
        try:
            os.write(self.wake_w, b"w")
        except (BlockingIOError, OSError):
            pass  # the pipe is full: the loop is already due to wake

    def close(self) -> None:
        for fd in (self.wake_r, self.wake_w):
            try:
                os.close(fd)
            except OSError:
                pass

    # -- configuration ------------------------------------------------------------------------
    def configure(self, pairs: list[dict[str, Any]]) -> None:
        """``pairs``: name, site, projects, debounce, recheck of each pair with webhooks enabled."""
        listeners = [Listener(p["name"], p["site"], tuple(p["projects"]), tuple(p.get("sites") or ())) for p in pairs]
        self.receiver.routes = Routes(listeners, carry=self.receiver.routes)
        wanted = {p["name"]: (float(p["debounce"]), float(p.get("recheck", 0.0))) for p in pairs}
        for name in list(self.pairs):
            if name not in wanted:
                del self.pairs[name]
        for name, (debounce, recheck) in wanted.items():
            current = self.pairs.get(name)
            if current is None:
                self.pairs[name] = Coalescer(debounce=debounce, recheck=recheck)
            else:
                current.debounce, current.recheck = debounce, recheck

    @property
    def listening(self) -> bool:
        return bool(self.pairs)

    # -- events -------------------------------------------------------------------------------
    def drain(self, now: float) -> list[tuple[str, float]]:
        """Deliveries queued by the receiver -> (pair, when to arm its timer)."""
        try:
            while os.read(self.wake_r, 4096):
                pass
        except (BlockingIOError, OSError):
            pass
        timers = []
        wall = time.time()
        for pairs, _arrived in self.receiver.take():
            for name in pairs:
                coalescer = self.pairs.get(name)
                if coalescer is None:
                    continue
                self.last_event[name] = wall
                self.received[name] = self.received.get(name, 0) + 1
                due = coalescer.event(now)
                if due is not None:
                    timers.append((name, due))
        return timers

    def fire(self, name: str, now: float) -> bool:
        coalescer = self.pairs.get(name)
        return coalescer is not None and coalescer.fire(now)

    def cycle(self, name: str, phase: str, now: float) -> float | None:
        coalescer = self.pairs.get(name)
        if coalescer is None:
            return None
        if phase == "started":
            coalescer.started(now)
            return None
        return coalescer.finished(now)

    def reset(self, name: str) -> None:
        coalescer = self.pairs.get(name)
        if coalescer is not None:
            coalescer.reset()

    # -- health -------------------------------------------------------------------------------
    def pair_status(self, name: str) -> dict[str, Any] | None:
        coalescer = self.pairs.get(name)
        if coalescer is None:
            return None
        last = self.last_event.get(name)
        return {
            "received": self.received.get(name, 0),
            "coalesced": coalescer.coalesced,
            "state": coalescer.state,
            "last_event_age_seconds": round(time.time() - last, 1) if last else None,
        }

    def status(self) -> dict[str, Any]:
        counts = self.receiver.counts()
        last = counts.pop("last_at")
        return {
            "listening_pairs": len(self.pairs),
            "signed": self.receiver.secret is not None,
            **counts,
            "coalesced": sum(c.coalesced for c in list(self.pairs.values())),  # read off the loop's thread
            "last_event_age_seconds": round(time.time() - last, 1) if last else None,
        }
