"""The app around the commands: shell completion, the shared -v/-q options."""

from __future__ import annotations

import shlex
import subprocess
import sys


def test_completion_can_be_installed():
    # --show-completion names the shell it finds among its parent processes: start it from
    # bash (a second command keeps bash from replacing itself with the first), as a user would.
    command = f"{shlex.quote(sys.executable)} -m jirasync_cli --show-completion; exit $?"
    result = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "complete -o default -F _jirasync_completion jirasync" in result.stdout


def test_verbose_and_quiet_set_the_log_level(cli, monkeypatch):
    from jirasync_cli.settings import get_settings

    monkeypatch.setenv("JIRASYNC_LOG_LEVEL", "INFO")
    assert cli.run("-v", "validate-configs", "--schema").exit_code == 0
    assert get_settings().log_level == "DEBUG"
    assert cli.run("-q", "validate-configs", "--schema").exit_code == 0
    assert get_settings().log_level == "WARNING"
    result = cli.run("-v", "-q", "validate-configs")
    assert result.exit_code == 2 and "exclude each other" in result.stderr
