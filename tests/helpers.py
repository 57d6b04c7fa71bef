"""Helpers for tests over real boundaries: the Jira emulator, the MongoDB server, subprocesses."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# The config builders live in the package, where the benchmarks find them too.
from jirasync_cli.doubles.configs import BOT_TOKEN, sync_config, write_config  # noqa: F401


def in_ci() -> bool:
    """CI sets CI=true (.ci/run does too): there a missing prerequisite is a failure."""
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def skip_or_fail(reason: str) -> None:
    """Skip a test whose prerequisite is missing on a developer machine; under CI fail it,
    so a broken install cannot pass as a green run of skips."""
    import pytest

    if in_ci():
        pytest.fail(f"{reason} (CI=true: required)", pytrace=False)
    pytest.skip(reason)


def wait_for(condition: Callable[[], Any], timeout: float = 20.0, interval: float = 0.1, message: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message or condition}")
        time.sleep(interval)


def cli_env(mongo_url: str, config_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIRASYNC_")}
    env.update(
        {
            "JIRASYNC_MONGODB_URL": mongo_url,
            "JIRASYNC_CONFIG_DIR": str(config_dir),
            "JIRASYNC_LOG_FORMAT": "json",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


def jirasync(
    *args: str, env: dict[str, str], timeout: float = 120.0, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jirasync_cli", *args], env=env, capture_output=True, text=True, timeout=timeout, cwd=cwd
    )


def spawn(*args: str, env: dict[str, str], log: Path | None = None, **kwargs: Any) -> subprocess.Popen[bytes]:
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115
    kwargs.setdefault("stdin", subprocess.DEVNULL)
    return subprocess.Popen([sys.executable, "-m", "jirasync_cli", *args], env=env, stdout=out, stderr=out, **kwargs)


def plain(body: Any) -> str:
    """A comment or description body as text with blank lines collapsed (ADF and wiki alike)."""
    import re

    from jirasync_cli.jira.adf import to_text

    return re.sub(r"\n\s*\n+", "\n", to_text(body)).strip()
