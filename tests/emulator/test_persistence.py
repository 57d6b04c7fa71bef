"""State survives a restart when the emulator persists to a file."""

from __future__ import annotations

import json
import time

import pytest

from jirasync_cli.emulator import EmulatorError, JiraEmulator, Workflow
from jirasync_cli.emulator.screens import Screens

from .helpers import Raw, body_for


def _wait_for(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def test_state_survives_restart(tmp_path):
    path = tmp_path / "jira.json"
    emu = JiraEmulator(mode="cloud", persist_path=path).start()
    emu.add_project("USER", name="Customer Support", workflow=Workflow.user_default())
    # Linked Issues on DEV's screens (not the default): a project's own screens persist too
    emu.add_project("DEV", name="Engineering", workflow=Workflow.dev_default(), screens="all")
    raw = Raw(emu)
    a = emu.create_issue("USER", summary="Persist me", description="with *markup*", labels=["x"], status="In Progress")
    b = raw.post(
        "issue",
        {
            "fields": {"project": {"key": "DEV"}, "summary": "dev side", "issuetype": {"name": "Bug"}},
            "update": {"issuelinks": [{"add": {"type": {"name": "Relates"}, "outwardIssue": {"key": a}}}]},
            "properties": [{"key": "src", "value": {"k": a}}],
        },
    ).json()["key"]
    cid = raw.post(
        f"issue/{a}/comment", {"body": body_for(emu, "hello"), "properties": [{"key": "p", "value": 1}]}
    ).json()["id"]
    raw.post(f"issue/{a}/remotelink", {"globalId": "g1", "object": {"url": "https://x", "title": "X"}})
    before = {i["key"]: i for i in emu.issues()}
    emu.stop()
    assert path.exists() and not list(tmp_path.glob("*.tmp"))

    again = JiraEmulator(mode="cloud", persist_path=path).start()
    try:
        after = {i["key"]: i for i in again.issues()}
        assert after == before
        assert again.screens_summary()["projects"] == {"DEV": {"*": Screens.of("all").to_dict()}}
        raw2 = Raw(again)
        got = raw2.get(f"issue/{a}", params={"expand": "changelog"}).json()
        assert got["fields"]["status"]["name"] == "In Progress"
        assert got["fields"]["issuelinks"][0]["inwardIssue"]["key"] == b
        assert raw2.get(f"issue/{a}/comment/{cid}").json()["body"] == body_for(again, "hello")
        assert raw2.get(f"issue/{b}/properties/src").json()["value"] == {"k": a}
        assert raw2.get(f"issue/{a}/remotelink", params={"globalId": "g1"}).status_code == 200
        # counters continue: no key or id is handed out twice
        c = again.create_issue("USER", summary="after restart")
        assert c == "USER-2"
        assert raw2.post(f"issue/{c}/comment", {"body": body_for(again, "n")}).json()["id"] != cid
    finally:
        again.stop()


def test_debounced_save_while_running(tmp_path):
    path = tmp_path / "state" / "jira.json"
    emu = JiraEmulator(mode="server", persist_path=path, save_debounce_seconds=0.1).start()
    try:
        emu.add_project("USER", name="Customer Support")
        emu.create_issue("USER", summary="saved soon")

        def saved() -> bool:
            if not path.exists():
                return False
            return any(i["summary"] == "saved soon" for i in json.loads(path.read_text())["issues"])

        assert _wait_for(saved)  # written without a stop, shortly after the change
        assert emu.save() is False  # nothing new to write
        emu.edit("USER-1", {"summary": "renamed"})
        assert emu.save() is True
    finally:
        emu.stop()
    assert json.loads(path.read_text())["issues"][0]["summary"] == "renamed"


def test_control_api_save_and_reset(tmp_path):
    import requests

    path = tmp_path / "jira.json"
    with JiraEmulator(persist_path=path) as emu:
        emu.add_project("USER")
        r = requests.post(f"{emu.url}/_emulator/save", timeout=5)
        assert r.status_code == 200 and path.exists()
        requests.post(f"{emu.url}/_emulator/reset", json={}, timeout=5)
        assert emu.summary()["projects"] == []
    assert json.loads(path.read_text())["projects"] == []


def test_unreadable_state_file_is_a_clear_error(tmp_path):
    path = tmp_path / "jira.json"
    path.write_text("{not json")
    with pytest.raises(EmulatorError, match="cannot load emulator state"):
        JiraEmulator(persist_path=path)
