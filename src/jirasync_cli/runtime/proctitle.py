"""Process titles an operator can find with ``ps`` and ``pgrep -f``.

The supervisor re-executes itself as ``python -m jirasync_cli.runtime.supervisor`` and its workers
run as ``python -m jirasync_cli run-worker ...``: without a title, ``pgrep -f "jirasync
supervise"`` finds nothing. Titles: ``jirasync supervise <config dir>`` and ``jirasync
worker <pair>``. ``setproctitle`` rewrites the argv area (what ``ps``/``pgrep -f`` read) and
the short name (``/proc/self/comm``); without it only the short name is set.
"""

from __future__ import annotations


def set_title(title: str) -> None:
    try:
        import setproctitle
    except ImportError:  # pragma: no cover - a dependency; kept usable without it
        _set_comm(title)
        return
    setproctitle.setproctitle(title)


def _set_comm(title: str) -> None:
    try:
        with open("/proc/self/comm", "w") as comm:  # 15 characters at most, silently cut by Linux
            comm.write(title[:15])
    except OSError:
        pass


def supervisor_title(config_dir: str) -> str:
    return f"jirasync supervise {config_dir}"


def worker_title(pair: str) -> str:
    return f"jirasync worker {pair}"
