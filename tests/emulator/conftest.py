"""Fixtures of the emulator tests: a raw HTTP client (the emulators are tests/conftest.py's)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from jirasync_cli.emulator import JiraEmulator, two_sites

from .helpers import Raw


@pytest.fixture
def raw(emu: JiraEmulator) -> Iterator[Raw]:
    r = Raw(emu)
    yield r
    r.s.close()


@pytest.fixture
def sites():
    """A Cloud site (user project CUS, English) and a Data Center site (dev project DEV, German
    status names), each on its own port with its own clock, zone and accounts."""
    with two_sites() as pair:
        pair.add_pair_projects()
        yield pair
