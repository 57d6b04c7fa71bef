"""Transitions whose screen asks for fields, over HTTP in Cloud and Data Center modes.

The default workflows ask for a resolution on the way into their done statuses, as many
real ones do: the sync must send one (the rule's, or a sensible default), keep the cached
one-request path, and report a field it cannot fill once, clearly, without retrying it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from jirasync_cli.emulator import ScreenField, Status, Transition, Workflow
from jirasync_cli.runtime.wiring import open_runtime
from jirasync_cli.store import Lease, owner_id
from jirasync_cli.sync.cycle import CycleReport, run_cycle
from tests.fixtures.pair import Pair, make_pair


def _escalated(pair: Pair, n: int = 1) -> list[tuple[str, str]]:
    """n user issues escalated (dev issue created), as (user key, dev key)."""
    emu = pair.emu
    keys = []
    for i in range(n):
        key = emu.create_issue("USER", summary=f"Problem {i}", as_account="alice")
        emu.transition(key, "Will Do", as_account="alice")
        keys.append(key)
    report = pair.cycle()
    assert not report.errors, report.errors
    return [(u, d) for u, d in report.created]


def _finish(emu, dev_key: str) -> None:
    for status in ("In Progress", "In Review", "Done"):
        emu.transition(dev_key, status, as_account="dan")


def _transition_requests(emu, key: str) -> list[tuple[str, str]]:
    return [(e.method, e.query) for e in emu.request_log if e.path.endswith(f"/issue/{key}/transitions")]


def test_required_resolution_is_filled_with_a_default_and_cached(pair: Pair):
    emu = pair.emu
    (u1, d1), (u2, d2), (u3, d3) = _escalated(pair, 3)
    _finish(emu, d1)
    _finish(emu, d2)
    emu.clear_request_log()
    with _worker(pair) as cycle:  # one process: its transition cache lives across cycles
        report = cycle()
        assert not report.errors, report.errors
        for user in (u1, u2):
            assert emu.issue(user)["status"] == "Resolved" and emu.issue(user)["resolution"] == "Done"
        # Two parallel moves of one kind: the screen is read once, both post with the resolution.
        calls = _transition_requests(emu, u1) + _transition_requests(emu, u2)
        assert sorted(m for m, _ in calls) == ["GET", "POST", "POST"]
        assert all("transitions.fields" in q for m, q in calls if m == "GET")

        _finish(emu, d3)
        emu.clear_request_log()
        assert not cycle().errors
        assert emu.issue(u3)["resolution"] == "Done"
        assert [m for m, _ in _transition_requests(emu, u3)] == ["POST"], "cached: one request"


@contextmanager
def _worker(pair: Pair) -> Iterator[Callable[[], CycleReport]]:
    """Cycles of one long-lived runtime, as a worker process runs them."""
    store = pair.store()
    lease = Lease(store.client, pair.config.db_name, owner_id(pair.config.name), pair.settings.lease_ttl_seconds)
    assert lease.acquire()
    store.fence = lease.fence
    rt = open_runtime(pair.config, pair.settings, store=store, lease=lease)
    try:
        yield lambda: run_cycle(rt)
    finally:
        lease.release()
        rt.jira.close()


def test_rule_resolution_is_used(emu, mongo_url, tmp_path):
    wanted = "Won't Do" if emu.mode == "cloud" else "Won't Fix"
    pair = make_pair(emu, mongo_url, tmp_path, rules=_rules(resolution=wanted))
    [(user, dev)] = _escalated(pair)
    _finish(emu, dev)
    assert not pair.cycle().errors
    assert emu.issue(user)["status"] == "Resolved" and emu.issue(user)["resolution"] == wanted


def test_resolution_the_screen_does_not_offer_is_one_clear_error(emu, mongo_url, tmp_path):
    pair = make_pair(emu, mongo_url, tmp_path, rules=_rules(resolution="Invalid"))
    [(user, dev)] = _escalated(pair)
    _finish(emu, dev)
    report = pair.cycle()
    assert len(report.errors) == 1
    assert "cannot set resolution 'Invalid'" in report.errors[0]
    assert "set rules[1].resolution (rule 'dev-done')" in report.errors[0]
    assert emu.issue(user)["status"] == "Will Do"


def test_required_field_we_cannot_fill_fails_once_without_retrying_writes(emu, mongo_url, tmp_path):
    emu.add_project("SUP", workflow=_support_workflow_requiring_root_cause())
    pair = make_pair(emu, mongo_url, tmp_path, userProjectKey="SUP", rules=_rules())
    key = emu.create_issue("SUP", summary="Broken", as_account="alice")
    emu.transition(key, "Will Do", as_account="alice")
    [(user, dev)] = [(u, d) for u, d in pair.cycle().created]
    _finish(emu, dev)
    emu.clear_request_log()
    with _worker(pair) as cycle:
        report = cycle()
        assert len(report.errors) == 1
        error = report.errors[0]
        assert f"transition to 'Resolved' on {user} requires field Root cause (customfield_10100)" in error
        assert "HTTP" not in error and "Traceback" not in error
        assert [m for m, _ in _transition_requests(emu, user)] == ["GET"], "the screen was read, nothing posted"

        emu.clear_request_log()
        again = cycle()  # the issue is retried, but the blocked transition costs no request
        assert _transition_requests(emu, user) == []
        assert len(again.errors) == 1 and emu.issue(user)["status"] == "Will Do"


def _rules(resolution: str | None = None) -> list[dict]:
    done: dict = {
        "id": "dev-done",
        "sourceStatus": "Done",
        "syncDirection": "dev_to_user",
        "actions": {"syncStatus": True, "targetStatus": "Resolved"},
    }
    if resolution:
        done["resolution"] = resolution
    return [
        {
            "id": "create-dev",
            "sourceStatus": "Will Do",
            "syncDirection": "user_to_dev",
            "actions": {"createIssue": True, "addCrossLink": True},
        },
        done,
    ]


def _support_workflow_requiring_root_cause() -> Workflow:
    screen = (
        ScreenField("resolution", "Resolution", required=True),
        ScreenField("customfield_10100", "Root cause", required=True),
    )
    return Workflow(
        "Support with root cause",
        [Status("Open", "new"), Status("Will Do", "new"), Status("Resolved", "done")],
        [
            Transition("11", "Will Do", "Will Do", ("Open",)),
            Transition("21", "Resolve", "Resolved", ("Open", "Will Do"), screen),
        ],
    )
