"""RSS and CPU% of the supervisor's worker processes (psutil), for their health rows."""

from __future__ import annotations

from typing import Any


class ProcessSampler:
    """One ``psutil.Process`` per pid, kept between samples (CPU% is measured between two calls)."""

    def __init__(self) -> None:
        self._procs: dict[int, Any] = {}

    def sample(self, pid: int | None) -> tuple[int | None, float | None]:
        """(RSS bytes, CPU%) of ``pid``; (None, None) when it cannot be read."""
        import psutil

        if pid is None:
            return None, None
        proc = self._procs.get(pid)
        try:
            if proc is None:
                proc = self._procs[pid] = psutil.Process(pid)
                proc.cpu_percent(None)  # first call primes the counter
            with proc.oneshot():
                return proc.memory_info().rss, proc.cpu_percent(None)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess, OSError):
            # OSError: out of file descriptors (reading /proc): no figures this time, no failure
            self._procs.pop(pid, None)
            return None, None

    def forget_except(self, pids: set[int]) -> None:
        for pid in list(self._procs):
            if pid not in pids:
                del self._procs[pid]
