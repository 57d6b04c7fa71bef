"""Fixtures of the emulator tests: a raw HTTP client (the emulators are tests/conftest.py's)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from jirasync_cli.emulator import JiraEmulator

from .helpers import Raw


@pytest.fixture
def raw(emu: JiraEmulator) -> Iterator[Raw]:
    r = Raw(emu)
    yield r
    r.s.close()
