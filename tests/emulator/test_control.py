"""The /_emulator/ control API, the demo seeder and the ``serve`` entry point."""

from __future__ import annotations

import io
import threading

import requests

from jirasync_cli.emulator import JiraEmulator
from jirasync_cli.emulator.command import serve
from jirasync_cli.emulator.seed import seed_pairs

from .helpers import Raw, client


def test_control_api_round_trip(cloud):
    base = f"{cloud.url}/_emulator"
    state = requests.get(f"{base}/state", timeout=5).json()
    assert state["mode"] == "cloud" and {p["key"] for p in state["projects"]} == {"USER", "DEV"}
    assert state["accounts"][0]["token"] == "emulator-token"

    r = requests.post(f"{base}/projects", json={"key": "OPS", "name": "Operations", "workflow": "dev"}, timeout=5)
    assert r.status_code == 201
    r = requests.post(
        f"{base}/issues",
        json={"project": "OPS", "summary": "Disk full", "priority": "High", "labels": ["infra"], "as": "erin"},
        timeout=5,
    )
    assert r.status_code == 201 and r.json()["key"] == "OPS-1" and r.json()["reporter"] == "erin"
    r = requests.post(f"{base}/issues/OPS-1/transition", json={"status": "In Progress", "as": "erin"}, timeout=5)
    assert r.json()["status"] == "In Progress"
    bad = requests.post(f"{base}/issues/OPS-1/transition", json={"status": "To Do? no: Nowhere"}, timeout=5)
    assert bad.status_code == 400 and "error" in bad.json()
    requests.post(f"{base}/issues/OPS-1/comment", json={"body": "on it", "as": "dan"}, timeout=5)
    r = requests.post(
        f"{base}/issues/OPS-1/edit", json={"fields": {"summary": "Disk almost full"}, "as": "dan"}, timeout=5
    )
    assert r.json()["summary"] == "Disk almost full"
    assert client(cloud).issue("OPS-1").fields.summary == "Disk almost full"

    Raw(cloud).get("myself")
    log = requests.get(f"{base}/requests", timeout=5).json()
    assert [e["path"] for e in log["entries"]][-1].endswith("/myself")
    assert all("/_emulator" not in e["path"] for e in log["entries"])
    requests.delete(f"{base}/requests", timeout=5)
    assert requests.get(f"{base}/requests", timeout=5).json()["count"] == 0

    r = requests.put(
        f"{base}/faults",
        json={
            "error_rate": 0.25,
            "rate_limit": {"per_second": 5, "burst": 10},
            "fail_next": [{"method": "GET", "path_regex": "/myself", "status": 503}],
        },
        timeout=5,
    )
    assert r.json()["error_rate"] == 0.25 and r.json()["rate_limit"] == {"per_second": 5.0, "burst": 10}
    assert cloud.faults.error_rate == 0.25 and len(r.json()["fail_next"]) == 1
    requests.put(f"{base}/faults", json={"clear": True}, timeout=5)
    assert cloud.faults.to_dict()["error_rate"] == 0.0

    r = requests.post(f"{base}/clock", json={"advance_seconds": 3600}, timeout=5)
    assert r.json()["offset_seconds"] == 3600
    assert requests.post(f"{base}/save", timeout=5).status_code == 400  # no persist path
    assert requests.get(f"{base}/nope", timeout=5).status_code == 404
    r = requests.post(f"{base}/reset", json={"seed_demo": True, "pairs": 1, "issues_per_pair": 5}, timeout=5)
    assert [p["key"] for p in r.json()["projects"]] == ["SUP", "ENG"]


def test_control_routes_for_issues_settings_and_mistakes(cloud):
    base = f"{cloud.url}/_emulator"
    created = requests.post(f"{base}/issues", json={"project": "USER", "summary": "Printer on fire"}, timeout=5)
    key = created.json()["key"]
    assert requests.get(f"{base}/issues/{key}/", timeout=5).json()["summary"] == "Printer on fire"  # trailing slash
    assert [i["key"] for i in requests.get(f"{base}/issues", params={"project": "USER"}, timeout=5).json()] == [key]
    assert requests.get(f"{base}/issues", params={"project": "DEV"}, timeout=5).json() == []
    r = requests.post(f"{base}/issues/{key}/comment", json={"body": "smoke"}, timeout=5)
    assert r.status_code == 201 and r.json()["key"] == key and cloud.comments(key)[0]["id"] == r.json()["id"]

    settings = requests.put(f"{base}/settings", json={"index_lag_seconds": 2.5}, timeout=5).json()
    assert settings["index_lag_seconds"] == 2.5
    assert requests.get(f"{base}/settings", timeout=5).json()["index_lag_seconds"] == 2.5
    r = requests.post(f"{base}/screens", json={"project": "DEV", "screens": "minimal"}, timeout=5)
    assert "DEV" in r.json()["projects"] and "DEV" in requests.get(f"{base}/screens", timeout=5).json()["projects"]
    count = requests.get(f"{base}/requests", timeout=5).json()["count"]
    assert requests.get(f"{base}/requests", params={"since": count}, timeout=5).json()["entries"] == []

    # Mistakes: one JSON error each, nothing changed.
    wrong_method = requests.put(f"{base}/state", timeout=5)
    assert wrong_method.status_code == 404 and wrong_method.json() == {"error": "no control route PUT /_emulator/state"}
    not_json = requests.post(f"{base}/issues", data=b"{nope", timeout=5)
    assert not_json.status_code == 400 and not_json.json() == {"error": "request body is not JSON"}
    missing = requests.post(f"{base}/issues", json={"project": "USER"}, timeout=5)
    assert missing.status_code == 400 and "summary" in missing.json()["error"]
    assert requests.post(f"{base}/issues/{key}/archive", timeout=5).status_code == 404

    assert requests.delete(f"{base}/issues/{key}", timeout=5).json() == {"deleted": key}
    other = requests.post(f"{base}/issues", json={"project": "USER", "summary": "Second"}, timeout=5).json()["key"]
    assert requests.post(f"{base}/issues/{other}/delete", timeout=5).json() == {"deleted": other}
    assert requests.get(f"{base}/issues", params={"project": "USER"}, timeout=5).json() == []


def test_seed_pairs_is_realistic_and_deterministic():
    def seeded():
        emu = JiraEmulator(mode="cloud")
        return emu, seed_pairs(emu, pairs=2, issues_per_pair=30, rng_seed=1)

    emu, pairs = seeded()
    assert [(p["user_key"], p["dev_key"]) for p in pairs] == [("SUP", "ENG"), ("CS", "PLAT")]
    issues = emu.issues()
    assert len([i for i in issues if i["project"] in ("SUP", "CS")]) == 60
    assert len({i["status"] for i in issues}) >= 5
    assert len({i["priority"] for i in issues}) >= 3
    assert sum(i["comment_count"] for i in issues) >= 30
    authors = {c["author"] for i in issues for c in emu.comments(i["key"])}
    assert {"alice", "bob"} <= authors
    dev = emu.issue(pairs[0]["dev_issues"][0])
    assert dev["links"][0]["key"] in pairs[0]["user_issues"]
    assert all(i["updated"] <= emu.now() for i in issues)
    _, again = seeded()
    assert again == pairs


def test_serve_prints_url_and_stops_cleanly(tmp_path):
    out = io.StringIO()
    ready, stop = threading.Event(), threading.Event()
    result = {}
    t = threading.Thread(
        target=lambda: result.setdefault(
            "rc",
            serve(
                mode="server",
                port=0,
                persist_path=tmp_path / "s.json",
                seed_demo=True,
                latency_ms=None,
                error_rate=0.0,
                rate_limit_per_second=None,
                demo_pairs=1,
                demo_issues_per_pair=3,
                screens="minimal",
                out=out,
                ready=ready,
                stop=stop,
            ),
        )
    )
    t.start()
    assert ready.wait(10)
    text = out.getvalue()
    url = next(w for w in text.split() if w.startswith("http://") and "/_emulator" not in w)
    assert "emulator-token" in text and "bot@example.com" in text
    r = requests.get(
        f"{url}/rest/api/2/search",
        params={"jql": "project = SUP"},
        auth=("bot@example.com", "emulator-token"),
        timeout=5,
    )
    assert r.json()["total"] == 3
    assert "create/edit screens: minimal" in text
    refused = requests.post(
        f"{url}/rest/api/2/issue",
        json={"fields": {"project": {"key": "ENG"}, "issuetype": {"name": "Task"}, "summary": "x", "labels": ["a"]}},
        auth=("bot@example.com", "emulator-token"),
        timeout=5,
    )
    assert refused.status_code == 400 and "labels" in refused.json()["errors"]
    stop.set()
    t.join(10)
    assert result["rc"] == 0 and "stopped" in out.getvalue()
    assert (tmp_path / "s.json").exists()


def test_serve_stops_on_sigint_in_a_real_process(tmp_path):
    import signal
    import subprocess
    import sys

    code = "from jirasync_cli.emulator.command import serve; raise SystemExit(serve(mode='cloud', port=0))"
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert "listening on http://127.0.0.1:" in line
        url = line.rsplit(" ", 1)[-1].strip()
        assert requests.get(f"{url}/rest/api/2/serverInfo", timeout=5).json()["deploymentType"] == "Cloud"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
        assert "stopped" in proc.stdout.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
