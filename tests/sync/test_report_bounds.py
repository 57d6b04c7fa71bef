"""A cycle's report stays the same size however many issues the cycle touched."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from io import StringIO

from rich.console import Console

from jirasync_cli.cli.views import cycle_table
from jirasync_cli.sync.cycle import DETAIL_LIMIT, CycleReport


def big_report(n: int) -> CycleReport:
    report = CycleReport("sync-ab", "c1", "full", False, datetime.now(UTC))
    for i in range(n):
        report.note_created(f"USER-{i}", f"DEV-{i}")
        report.note_error(f"USER-{i}: refused")
        report.note_unhandled(f"unhandled: USER-{i} is now 'Odd'")
    return report


def test_report_counts_everything_and_lists_a_bounded_few():
    small, big = big_report(DETAIL_LIMIT), big_report(30_000)
    assert big.counts() == {"created": 30_000, "errors": 30_000, "deferred": 0, "unhandled": 30_000}
    assert len(big.created) == len(big.errors) == len(big.unhandled) == DETAIL_LIMIT
    assert big.result == "error"
    assert len(json.dumps(big.summary())) < 1.01 * len(json.dumps(small.summary()))


def test_run_once_output_says_how_many_it_does_not_list():
    out = StringIO()
    cycle_table(big_report(250), Console(file=out, width=200))
    text = out.getvalue()
    assert "created DEV-99 for USER-99" in text and "DEV-100 " not in text
    assert "... and 150 more created" in text and "... and 150 more errors" in text
