"""run-worker options."""

from __future__ import annotations


def test_run_worker_options_that_need_once_are_errors(cli):
    for flag in ("--json", "--dry-run", "--show-unhandled"):
        result = cli.run("run-worker", "ab", flag)
        assert result.exit_code == 2, flag
        assert result.stderr.strip().splitlines() == [result.stderr.strip()]
        assert f"{flag} needs --once" in result.stderr
