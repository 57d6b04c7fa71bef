"""Real processes: `jirasync supervise` with webhooks on, the emulator delivering signed
webhooks to it, the embedded MongoDB. Polling runs every 30 minutes here, so whatever syncs
within the test was woken by a webhook (or, where webhooks are lost, by a short poll)."""

from __future__ import annotations

import http.client
import json
import os
import statistics
import time

import pytest

from jirasync_cli.emulator import JiraEmulator, Workflow
from jirasync_cli.webhooks import signature
from tests.helpers import wait_for
from tests.webhooks.supervised import SECRET, cycles, dev_partner, hooked_config, settle, start

CHANGES = int(os.environ.get("JIRASYNC_TEST_WEBHOOK_CHANGES", "50"))  # fewer on a slow machine


@pytest.fixture(params=["cloud"])
def emu(request):
    e = JiraEmulator(mode=request.param).start()
    for user, dev in (("USER", "DEV"), ("CS", "BILL")):
        e.add_project(user, workflow=Workflow.user_default())
        e.add_project(dev, workflow=Workflow.dev_default())
    yield e
    e.stop()


@pytest.fixture
def supervisors():
    started = []
    yield started
    for sup in started:
        sup.stop()
        sup.kill_leftovers()


@pytest.mark.parametrize("emu", ["cloud", "server"], indirect=True)
def test_a_user_transition_reaches_the_dev_side_within_two_seconds(emu, mongo_url, tmp_path, supervisors):
    sup = start(
        emu, mongo_url, tmp_path / "config", tmp_path / "sup.log", [hooked_config(emu, "sync-ab", "USER", "DEV")]
    )
    supervisors.append(sup)
    keys = [emu.create_issue("USER", f"Problem {n}", as_account="alice") for n in range(CHANGES)]
    settle(sup, "sync-ab")
    latencies = []
    for key in keys:
        began = time.monotonic()
        emu.transition(key, "Will Do", as_account="alice")
        wait_for(lambda k=key: dev_partner(emu, k), 10, interval=0.01, message=f"{key}'s dev issue")
        latencies.append(time.monotonic() - began)
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(f"\nwebhook latency over {len(latencies)} changes: p50 {statistics.median(latencies):.2f}s, p99 {p99:.2f}s")
    assert p99 <= 2.0, latencies
    doc = sup.health()
    assert doc["webhooks"]["accepted"] >= CHANGES and doc["webhooks"]["rejected"] == 0
    assert sup.worker("sync-ab")["webhooks"]["last_event_age_seconds"] < 30


def test_with_every_webhook_dropped_the_poll_still_syncs_everything(emu, mongo_url, tmp_path, supervisors):
    emu.webhooks.configure(drop=1.0)
    sup = start(
        emu,
        mongo_url,
        tmp_path / "config",
        tmp_path / "sup.log",
        [hooked_config(emu, "sync-ab", "USER", "DEV", poll_minutes=0.05)],
    )  # a 3 s safety net
    supervisors.append(sup)
    keys = [emu.create_issue("USER", f"Lost webhook {n}", as_account="alice") for n in range(5)]
    for key in keys:
        emu.transition(key, "Will Do", as_account="alice")
    wait_for(lambda: all(dev_partner(emu, k) for k in keys), 30, interval=0.2, message="every dev issue by polling")
    assert sup.health()["webhooks"]["received"] == 0
    assert emu.webhooks.summary()["deliveries"].get("dropped", 0) >= len(keys)


def post(port: int, body: bytes, headers: dict[str, str]) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("POST", "/webhook", body=body, headers={"Content-Type": "application/json", **headers})
    status = conn.getresponse().status
    conn.close()
    return status


def test_forged_and_unsigned_events_are_rejected_and_cause_no_cycle(emu, mongo_url, tmp_path, supervisors):
    sup = start(
        emu,
        mongo_url,
        tmp_path / "config",
        tmp_path / "sup.log",
        [hooked_config(emu, "sync-ab", "USER", "DEV")],
        register=False,
    )
    supervisors.append(sup)
    before = settle(sup, "sync-ab")
    body = json.dumps(
        {
            "timestamp": 1,
            "webhookEvent": "jira:issue_updated",
            "issue": {"id": "1", "key": "USER-1", "fields": {"project": {"key": "USER"}}},
        }
    ).encode()
    assert post(sup.port, body, {}) == 401
    assert post(sup.port, body, {"X-Hub-Signature": signature.sign("guessed-secret", body)}) == 401
    assert post(sup.port, body, {"X-Hub-Signature": "sha256=" + "ab" * 32}) == 401
    time.sleep(2.0)
    assert cycles(sup, "sync-ab") == before
    hooks = sup.health()["webhooks"]
    assert hooks["rejected"] == 3 and hooks["accepted"] == 0
    log = (tmp_path / "sup.log").read_text()
    assert SECRET not in log and SECRET not in json.dumps(sup.health())
    assert log.count("webhook delivery rejected") == 1  # rate-limited: a probe cannot flood the log
    # the real one, signed, does wake the pair
    assert post(sup.port, body, {"X-Hub-Signature": signature.sign(SECRET, body)}) == 202
    wait_for(lambda: cycles(sup, "sync-ab") > before, 10, message="a cycle after the signed event")
    metrics = sup.get("/metrics")[1].decode()
    assert 'jirasync_webhook_events_total{result="rejected"} 3.0' in metrics


def test_a_burst_of_100_events_costs_at_most_two_cycles(emu, mongo_url, tmp_path, supervisors):
    sup = start(
        emu,
        mongo_url,
        tmp_path / "config",
        tmp_path / "sup.log",
        [hooked_config(emu, "sync-ab", "USER", "DEV"), hooked_config(emu, "sync-cd", "CS", "BILL")],
    )
    supervisors.append(sup)
    key = emu.create_issue("USER", "Busy issue", as_account="alice")
    before = settle(sup, "sync-ab")
    other = settle(sup, "sync-cd")
    for n in range(100):
        emu.edit(key, {"labels": [f"burst-{n}"]}, as_account="alice")
    wait_for(lambda: sup.worker("sync-ab")["webhooks"]["received"] >= 101, 20, message="100 events received")
    after = settle(sup, "sync-ab", quiet=3.0)  # past the 1 s recheck too
    assert 1 <= after - before <= 2
    assert sup.worker("sync-ab")["webhooks"]["coalesced"] >= 98
    assert cycles(sup, "sync-cd") == other  # another pair's project: not woken


@pytest.mark.parametrize("recheck", [2.0, 0.0])
def test_the_recheck_finds_a_change_cloud_search_showed_late(emu, mongo_url, tmp_path, supervisors, recheck):
    emu.configure(index_lag_seconds=1.5)  # Cloud: the search shows a write this long after it
    sup = start(
        emu,
        mongo_url,
        tmp_path / "config",
        tmp_path / "sup.log",
        [hooked_config(emu, "sync-ab", "USER", "DEV", recheck=recheck)],
    )
    supervisors.append(sup)
    key = emu.create_issue("USER", "Shown late", as_account="alice")
    settle(sup, "sync-ab", quiet=3.0)
    emu.transition(key, "Will Do", as_account="alice")
    if recheck:
        wait_for(lambda: dev_partner(emu, key), 8, interval=0.05, message="the dev issue, found by the recheck")
    else:  # the webhook's cycle ran before the search showed the change: only the next poll would find it
        time.sleep(6)
        assert dev_partner(emu, key) is None


def test_duplicated_delayed_and_reordered_webhooks_sync_each_change_once(emu, mongo_url, tmp_path, supervisors):
    emu.webhooks.configure(duplicate=1.0, delay_seconds=0.2, reorder_seconds=0.5)
    sup = start(
        emu, mongo_url, tmp_path / "config", tmp_path / "sup.log", [hooked_config(emu, "sync-ab", "USER", "DEV")]
    )
    supervisors.append(sup)
    keys = [emu.create_issue("USER", f"Shuffled {n}", as_account="alice") for n in range(8)]
    settle(sup, "sync-ab", quiet=2.0)
    began = time.monotonic()
    for key in keys:
        emu.transition(key, "Will Do", as_account="alice")
    wait_for(lambda: all(dev_partner(emu, k) for k in keys), 10, interval=0.05, message="every escalation mirrored")
    assert time.monotonic() - began < 5  # within seconds, not at the 30-minute poll
    settle(sup, "sync-ab", quiet=2.0)
    assert len(emu.issues("DEV")) == len(keys)  # a duplicate delivery never duplicates a write
    assert sup.worker("sync-ab")["webhooks"]["received"] >= 2 * 2 * len(keys)  # created + escalated, each twice
