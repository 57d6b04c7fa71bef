"""A crash after any write step, then a re-run: no duplicate issue, comment or link.

The crash is a BaseException raised right after a real write reached Jira (or MongoDB),
so nothing of ours catches it: the cycle dies there as a killed process would.
"""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from jirasync_cli.jira.models import SOURCE_PROPERTY
from tests.fixtures.pair import Pair
from tests.helpers import plain as to_text


class Crash(BaseException):
    pass


# (where, nth call, "after" = the call completes then the process dies, "instead" = it dies
# before the call, e.g. a whole batch of records is lost)
CRASH_POINTS = [
    ("jirasync_cli.jira.client.JiraClient.create_issue", 1, "after"),  # dev issue exists, nothing recorded
    ("jirasync_cli.jira.client.JiraClient.create_issue", 2, "after"),
    ("jirasync_cli.sync.recovery.finish_create", 1, "after"),
    ("jirasync_cli.jira.client.JiraClient.add_comment", 1, "after"),  # template comment posted
    ("jirasync_cli.jira.client.JiraClient.add_comment", 3, "after"),  # a mirrored comment posted
    ("jirasync_cli.jira.client.JiraClient.add_comment", 5, "after"),
    ("jirasync_cli.jira.client.JiraClient.transition_to", 1, "after"),  # user issue moved
    ("jirasync_cli.store.pair.PairStore.begin_creates", 1, "after"),  # intents recorded, no write yet
    ("jirasync_cli.store.pair.PairStore.begin_intents", 1, "after"),
    ("jirasync_cli.store.pair.WriteBatch.flush", 1, "instead"),  # every record of a chunk lost
    ("jirasync_cli.store.pair.WriteBatch.flush", 2, "instead"),
    ("jirasync_cli.store.pair.WriteBatch.flush", 3, "instead"),
    ("jirasync_cli.store.pair.WriteBatch.flush", 1, "after"),
    ("jirasync_cli.store.pair.PairStore.save_state", 1, "after"),  # everything done but the watermark
    ("jirasync_cli.store.pair.PairStore.save_state", 2, "instead"),
]


def _arm(monkeypatch, target: str, nth: int, when: str) -> dict[str, int]:
    module_path, _, attr = target.rpartition(".")
    import importlib

    try:
        owner = importlib.import_module(module_path)
    except ModuleNotFoundError:
        mod, _, cls = module_path.rpartition(".")
        owner = getattr(importlib.import_module(mod), cls)
    original = getattr(owner, attr)
    calls = {"n": 0, "crashed": 0}

    lock = threading.Lock()

    def wrapper(*args, **kwargs):
        with lock:  # units run in parallel threads
            calls["n"] += 1
            mine = calls["n"]
        if mine == nth and when == "instead":
            calls["crashed"] += 1
            raise Crash(f"crash instead of {target} #{nth}")
        result = original(*args, **kwargs)
        if mine == nth and when == "after":
            calls["crashed"] += 1
            raise Crash(f"crash after {target} #{nth}")
        return result

    monkeypatch.setattr(owner, attr, wrapper)
    return calls


def _cycle_until_clean(pair: Pair, attempts: int = 4) -> None:
    for _ in range(attempts):
        try:
            report = pair.cycle()
        except Crash:
            continue
        if not report.errors and not report.deferred:
            return
    raise AssertionError("cycles kept failing")


@pytest.mark.parametrize(
    ("target", "nth", "when"), CRASH_POINTS, ids=[f"{w}-{t.rsplit('.', 1)[1]}#{n}" for t, n, w in CRASH_POINTS]
)
def test_crash_then_rerun_leaves_no_duplicates(pair: Pair, monkeypatch, target, nth, when):
    emu = pair.emu
    # Linked Issues on the create screen: the link is made with the issue, in one request.
    # The create-then-link path of sites without it: tests/e2e/test_create_screens.py.
    emu.set_screens("all", project="DEV")
    user_keys = []
    for i in range(2):
        key = emu.create_issue("USER", summary=f"Problem {i}", as_account="alice")
        emu.transition(key, "Will Do", as_account="alice")
        user_keys.append(key)
    calls = _arm(monkeypatch, target, nth, when)

    _cycle_until_clean(pair)
    devs = {d["properties"][SOURCE_PROPERTY]["userKey"]: d["key"] for d in emu.issues("DEV")}
    for user_key in user_keys:
        emu.add_comment(user_key, f"customer note on {user_key}", as_account="bob")
        emu.add_comment(devs[user_key], f"dev note on {devs[user_key]}", as_account="dan")
        for status in ("In Progress", "In Review", "Done"):
            emu.transition(devs[user_key], status, as_account="dan")
    _cycle_until_clean(pair)
    _cycle_until_clean(pair)
    assert calls["crashed"] == 1, f"the crash point {target} #{nth} was never reached"

    assert len(emu.issues("DEV")) == len(user_keys), "one dev issue per user issue"
    for user_key in user_keys:
        dev_key = devs[user_key]
        user_comments = Counter(to_text(c["body"]) for c in emu.comments(user_key))
        dev_comments = Counter(to_text(c["body"]) for c in emu.comments(dev_key))
        assert user_comments == Counter(
            {
                f"customer note on {user_key}": 1,
                f"Escalated to engineering as {dev_key}.": 1,
                f"Dan Okafor wrote:\ndev note on {dev_key}": 1,
                f"Fixed in {dev_key}.": 1,
            }
        )
        assert dev_comments == Counter(
            {
                f"dev note on {dev_key}": 1,
                f"Bob Lindqvist wrote:\ncustomer note on {user_key}": 1,
            }
        )
        assert emu.issue(user_key)["status"] == "Resolved"
        links = [link for link in emu.issue(user_key)["links"] if link["key"] == dev_key]
        assert len(links) == 1
