"""Fixtures: a running emulator per test (cloud and server flavours) and clients for it."""

from __future__ import annotations

import pytest

from jirasync_cli.emulator import JiraEmulator, Workflow

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


