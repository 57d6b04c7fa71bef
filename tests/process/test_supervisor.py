"""The supervisor with real child processes, real signals and real HTTP."""

from __future__ import annotations

import json
import os
import signal
import time
import uuid

import psutil
import pytest

from tests.fixtures.supervisor import FAST, PAIRS, no_orphans
from tests.helpers import sync_config, wait_for, write_config

pytestmark = pytest.mark.slow


def test_one_child_per_config_and_health(deploy):
    sup = deploy(PAIRS[:3])
    children = sup.wait_running(["sync-ab", "sync-cd", "sync-xy"])
    assert len(children) == 3
    doc = sup.health()
    assert doc["status"] == "healthy" and doc["_code"] == 200
    for w in doc["workers"]:
        assert w["pid"] == children[w["name"]] and w["rss_bytes"] > 0 and w["state"] == "running"
    assert sup.get("/livez")[0] == 200 and sup.get("/readyz")[0] == 200
    code, metrics = sup.get("/metrics")
    assert code == 200 and b'jirasync_worker_up{worker="sync-ab"} 1.0' in metrics
    assert b"jirasync_worker_restarts_total" in metrics


def test_killed_child_is_restarted_others_untouched(deploy):
    sup = deploy(PAIRS[:3])
    before = sup.wait_running(["sync-ab", "sync-cd", "sync-xy"])
    os.kill(before["sync-cd"], signal.SIGKILL)
    wait_for(lambda: sup.children().get("sync-cd") not in (None, before["sync-cd"]), 10, message="restart")
    after = sup.wait_running(["sync-ab", "sync-cd", "sync-xy"])
    assert after["sync-ab"] == before["sync-ab"] and after["sync-xy"] == before["sync-xy"]
    w = wait_for(
        lambda: (lambda w: w if w["restarts"] == 1 else None)(sup.worker("sync-cd")),
        5,
        message="health shows the restart",
    )  # /health is refreshed every 0.5 s
    assert w["last_exit"] == "killed by SIGKILL"
    # The replacement took the lease over at once (its predecessor is dead): it syncs.
    wait_for(lambda: sup.worker("sync-cd")["cycles"] >= 1, 20, message="replacement cycles")
    assert "worker exited" in sup.log.read_text()


def test_stopped_child_is_deemed_hung_killed_and_restarted(deploy):
    sup = deploy(PAIRS[:2])
    before = sup.wait_running(["sync-ab", "sync-cd"])
    os.kill(before["sync-ab"], signal.SIGSTOP)
    wait_for(lambda: sup.children().get("sync-ab") not in (None, before["sync-ab"]), 40, message="hung restart")
    assert (
        not psutil.pid_exists(before["sync-ab"]) or psutil.Process(before["sync-ab"]).status() == psutil.STATUS_ZOMBIE
    )
    assert sup.children()["sync-cd"] == before["sync-cd"]
    text = sup.log.read_text()
    assert text.count("worker hung: no heartbeat") == 1, "one hang, one line (and one SIGTERM), not a kill loop"
    assert '"cause": "own failure"' in text  # a hang counts towards failed, unlike a kill from outside


def test_all_children_crashing_makes_health_503(deploy):
    sup = deploy(PAIRS[:2])
    sup.wait_running(["sync-ab", "sync-cd"])

    def kill_all_and_check():
        for pid in sup.children().values():
            try:
                os.kill(pid, signal.SIGABRT)  # what a worker aborting on its own dies of: its own failure
            except ProcessLookupError:
                pass
        return sup.health()["_code"] == 503 and all(w["state"] == "failed" for w in sup.health()["workers"])

    wait_for(kill_all_and_check, 60, interval=0.05, message="all workers failed")
    doc = sup.health()
    assert doc["status"] == "unhealthy" and doc["errors"]
    assert sup.get("/readyz")[0] == 503 and sup.get("/livez")[0] == 200


def test_supervisor_killed_children_follow(deploy):
    sup = deploy(PAIRS[:3])
    pids = list(sup.wait_running(["sync-ab", "sync-cd", "sync-xy"]).values())
    sup.proc.kill()
    sup.proc.wait()
    wait_for(lambda: no_orphans(pids), 15, message="children exit after the supervisor died")


def test_sigterm_stops_children_gracefully_and_releases_leases(deploy, mongo_url):
    sup = deploy(PAIRS[:2])
    pids = list(sup.wait_running(["sync-ab", "sync-cd"]).values())
    sup.signal(signal.SIGTERM)
    assert sup.proc.wait(30) == 0
    assert no_orphans(pids)
    text = sup.log.read_text()
    assert text.count('"message": "worker stopped"') >= 4  # each worker's own line and the supervisor's
    assert "killed by" not in text
    from pymongo import MongoClient

    client = MongoClient(mongo_url)
    for name in ("sync-ab", "sync-cd"):
        cfg = json.loads((sup.config_dir / f"{name}.json").read_text())
        lease = client[cfg["database"]].lease.find_one({"_id": "lease"})
        assert lease["owner"] is None, "lease released on graceful stop"


def test_sighup_applies_only_what_changed(deploy, emu):
    sup = deploy(PAIRS[:3])
    before = sup.wait_running(["sync-ab", "sync-cd", "sync-xy"])
    (sup.config_dir / "sync-xy.json").unlink()
    changed = json.loads((sup.config_dir / "sync-cd.json").read_text())
    changed["syncIntervalMinutes"] = 0.06
    (sup.config_dir / "sync-cd.json").write_text(json.dumps(changed))
    name, user, dev = PAIRS[3]
    write_config(sup.config_dir, sync_config(name, emu.url, user, dev, syncIntervalMinutes=FAST))
    (sup.config_dir / "sync-broken.json").write_text("{oops")
    sup.signal(signal.SIGHUP)
    after = sup.wait_running(["sync-ab", "sync-cd", "sync-pq"])
    assert after["sync-ab"] == before["sync-ab"], "unchanged pair untouched"
    assert after["sync-cd"] != before["sync-cd"], "changed pair restarted"
    assert "sync-xy" not in after and no_orphans([before["sync-xy"]]), "removed pair stopped"
    assert sup.health()["invalid_configs"][0].startswith("sync-broken.json: $: invalid JSON")


def test_intervals_are_honoured_per_pair(deploy, emu):
    sup = deploy(PAIRS[:2], start=False)
    slow = json.loads((sup.config_dir / "sync-cd.json").read_text())
    slow["syncIntervalMinutes"] = 0.1  # 6 s against sync-ab's 3 s
    (sup.config_dir / "sync-cd.json").write_text(json.dumps(slow))
    sup.start()
    sup.wait_running(["sync-ab", "sync-cd"])
    emu.clear_request_log()
    time.sleep(12.5)

    def searches(project: str) -> int:
        return sum(1 for e in emu.request_log if "search" in e.path and f"%22{project}%22" in e.query)

    fast, slow_count = searches("USER"), searches("CS")
    assert 3 <= fast <= 5 and 1 <= slow_count <= 3 and fast > slow_count, (fast, slow_count)


def test_two_supervisors_share_the_work_and_fail_over(deploy, emu, tmp_path):
    databases = {name: f"{name.replace('-', '_')}_{uuid.uuid4().hex[:6]}" for name, _, _ in PAIRS[:2]}
    env = {"JIRASYNC_LEASE_TTL_SECONDS": "4"}
    a = deploy(PAIRS[:2], databases=databases, env=env)
    a.wait_running(["sync-ab", "sync-cd"])
    b = deploy(PAIRS[:2], databases=databases, env=env, token="emulator-token-2", email="bot2@example.com")
    b.wait_running(["sync-ab", "sync-cd"])
    assert {w["state"] for w in b.health()["workers"]} == {"standby"}
    key = emu.create_issue("USER", summary="Synced by exactly one", as_account="alice")
    emu.transition(key, "Will Do", as_account="alice")
    emu.clear_request_log()
    time.sleep(7)
    accounts = {e.account for e in emu.request_log if "search" in e.path}
    assert accounts == {"jirasync-bot"}, "only the lease holders sync"
    assert len(emu.issues("DEV")) == 1
    # Fail-over: the holder's supervisor dies; its workers follow; b takes over within the TTL.
    a.proc.kill()
    a.proc.wait()
    wait_for(lambda: {w["state"] for w in b.health()["workers"]} == {"running"}, 30, message="take-over")
    emu.clear_request_log()
    key2 = emu.create_issue("USER", summary="After fail-over", as_account="alice")
    emu.transition(key2, "Will Do", as_account="alice")
    wait_for(lambda: len(emu.issues("DEV")) == 2, 20, message="b syncs")
    assert {e.account for e in emu.request_log if e.is_write} == {"jirasync-bot-2"}


def test_deploy_passes_every_config_override_on(deploy):
    rules = sync_config("sync-x", "http://unused")["rules"][:1]
    sup = deploy(PAIRS[:2], start=False, syncIntervalMinutes=2, rules=rules)
    docs = [json.loads(path.read_text()) for path in sorted(sup.config_dir.glob("sync-*.json"))]
    assert [(d["name"], d["syncIntervalMinutes"], d["rules"]) for d in docs] == [
        ("sync-ab", 2, rules),
        ("sync-cd", 2, rules),
    ]
