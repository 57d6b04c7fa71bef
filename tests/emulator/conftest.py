"""Fixtures: a running emulator per test (cloud and server flavours) and clients for it."""

from __future__ import annotations

import pytest

from jirasync_cli.emulator import JiraEmulator, Workflow, two_sites

from .helpers import Raw


def _emulator(mode: str, **kwargs) -> JiraEmulator:
    emu = JiraEmulator(mode=mode, **kwargs).start()
    emu.add_project("USER", name="Customer Support", workflow=Workflow.user_default(), lead="alice")
    emu.add_project("DEV", name="Engineering", workflow=Workflow.dev_default(), lead="dan")
    return emu


@pytest.fixture
def cloud():
    emu = _emulator("cloud")
    yield emu
    emu.stop()


@pytest.fixture
def server():
    emu = _emulator("server")
    yield emu
    emu.stop()


@pytest.fixture(params=["cloud", "server"])
def emu(request):
    e = _emulator(request.param)
    yield e
    e.stop()


@pytest.fixture
def raw(emu):
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
