"""Fixtures for end-to-end tests: the emulator (both modes, New York time), a pair runtime."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from jirasync_cli.emulator import JiraEmulator
from tests.fixtures.pair import Pair, make_pair


@pytest.fixture
def emu_options() -> dict[str, Any]:
    return {"timezone": "America/New_York"}  # a zone with DST, behind UTC


@pytest.fixture
def cloud_emu(make_emu: Callable[..., JiraEmulator]) -> JiraEmulator:
    return make_emu("cloud", timezone="Asia/Kolkata")  # +05:30: not a whole hour


@pytest.fixture
def pair(emu: JiraEmulator, mongo_url: str, tmp_path: Path) -> Pair:
    return make_pair(emu, mongo_url, tmp_path)
