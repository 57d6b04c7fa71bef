"""The live progress of ``run-worker --once``, drawn on the console the logs use.

Logs and the progress bar share one rich console: rich then prints each log line above
the live display instead of through it. The applying phase knows its total, so it shows
an estimate of the time left.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeRemainingColumn,
)

from jirasync_cli.sync.cycle import Progress as CycleProgress


def progress_bar(console: Console, *, disable: bool) -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=disable or not console.is_terminal,
    )


@contextmanager
def cycle_progress(console: Console, *, disable: bool = False) -> Iterator[CycleProgress]:
    """Hooks for :func:`jirasync_cli.sync.cycle.run_cycle` that draw a live bar on ``console``."""
    bar = progress_bar(console, disable=disable)
    with bar:
        search = bar.add_task("searching Jira", total=None)
        apply = bar.add_task("applying", total=None, visible=False)

        def planned(total: int) -> None:
            bar.update(search, visible=False)
            bar.update(apply, total=total, visible=True)

        yield CycleProgress(
            searched=lambda n: bar.update(search, completed=n, description=f"searching Jira ({n} issues)"),
            planned=planned,
            applied=lambda n: bar.update(apply, completed=n),
        )
