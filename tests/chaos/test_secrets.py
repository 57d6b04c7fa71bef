"""Scenario 4: a recognisable API token must never leave the process in clear: not in any log
line of the supervisor or its workers (DEBUG level, Jira failing and refusing), not in any
``/health`` ``/metrics`` ``/livez`` ``/readyz`` body, not in any CLI output."""

from __future__ import annotations

import base64
import json
import signal
import time

import pytest

from jirasync_cli.doubles.mongo import free_port
from jirasync_cli.emulator import Account, Workflow, default_accounts
from jirasync_cli.emulator.accounts import BOT
from tests.chaos.harness import People, make_world, wait_initial_sync, write_configs
from tests.helpers import cli_env, jirasync, spawn, sync_config, wait_for, write_config

pytestmark = pytest.mark.chaos

TOKEN = "tok-CHAOS-3b9f1e7d5c2a-DO-NOT-PRINT"
TOKEN_VARIABLE = "CHAOS_JIRA_TOKEN"
SPECS = [("sync-ab", "USER", "DEV"), ("sync-cd", "CS", "BILL")]


def forms(token: str, emails: list[str]) -> dict[str, str]:
    out = {"token": token}
    for email in emails:
        out[f"basic auth of {email}"] = base64.b64encode(f"{email}:{token}".encode()).decode()
    return out


def leaks(text: str, secret_forms: dict[str, str]) -> list[str]:
    return [name for name, value in secret_forms.items() if value in text]


def test_token_never_appears_in_logs_health_or_cli_output(chaos, mongo_url, tmp_path):
    accounts = [a for a in default_accounts() if a.name != BOT]
    accounts.insert(
        0, Account(BOT, "jirasync bot", "bot@example.com", TOKEN, account_id="557058:jirasync-bot", role="bot")
    )
    emu = chaos.emulator(accounts=accounts)
    pairs = make_world(emu, SPECS, 15, chaos.tag)
    config_dir = tmp_path / "config"
    # One pair reads the token from the environment, one has it in the file.
    write_configs(emu, pairs[:1], config_dir, token=f"${{{TOKEN_VARIABLE}}}")
    write_configs(emu, pairs[1:], config_dir, token=TOKEN)
    # Jira refuses this one (token of another account): its errors must not echo the token either.
    emu.add_project("REF", workflow=Workflow.user_default())
    emu.add_project("REFDEV", workflow=Workflow.dev_default())
    denied = sync_config(
        "sync-denied", emu.url, "REF", "REFDEV", token=TOKEN, email="intruder@example.com", syncIntervalMinutes=0.05
    )
    write_config(config_dir, denied)
    # An invalid file carrying the token: its problem is reported, the token is not.
    broken = sync_config("sync-broken", emu.url, "USER", "DEV", token=TOKEN, syncIntervalMinutes=-1)
    broken["jira"]["email"] = None
    write_config(config_dir, broken)
    secret_forms = forms(TOKEN, ["bot@example.com", "intruder@example.com"])

    env_extra = {TOKEN_VARIABLE: TOKEN, "JIRASYNC_LOG_LEVEL": "DEBUG"}
    sup = chaos.supervisor(emu, mongo_url, config_dir, tmp_path / "supervisor.log", **env_extra).start()
    names = [p.name for p in pairs] + ["sync-denied"]
    sup.wait_running(names, 60)
    wait_initial_sync(mongo_url, pairs)
    people = chaos.track(People(emu, pairs, escalate_within=3, steps_per_second=10).start())
    emu.faults.error_rate = 0.1  # failures and retries get logged
    emu.faults.lost_response_rate = 0.05

    outputs: dict[str, str] = {}
    env = cli_env(mongo_url, config_dir, **env_extra)
    health_url = f"http://127.0.0.1:{sup.port}/health"
    wait_for(
        lambda: any(w["error"] for w in sup.health()["workers"] if w["name"] == "sync-denied"),
        30,
        message="the refused pair reports its error",
    )
    deadline = time.monotonic() + 12
    round_ = 0
    while time.monotonic() < deadline:
        for path in ("/health", "/metrics", "/livez", "/readyz"):
            outputs[f"GET {path} #{round_}"] = sup.get(path)[1].decode()
        round_ += 1
        time.sleep(1)
    for args in (
        ("health", "--url", health_url),
        ("health", "--url", health_url, "--json"),
        ("validate-configs",),
        ("validate-configs", "--json"),
        ("state", "show"),
        ("state", "show", "--json"),
        ("state", "show", "sync-ab", "--json"),
        ("state", "show", "sync-ab", "--issue", pairs[0].user_keys[0], "--json"),
        ("run-worker", "sync-ab", "--once", "--json"),  # lease held by the supervisor's worker
        ("run-worker", "sync-denied", "--once", "--json"),
        ("run-worker", "sync-denied", "--once"),
        ("run-worker", "sync-cd", "--once", "--dry-run", "--json"),
        ("run-worker", "sync-cd", "--once", "--dry-run"),
    ):
        result = jirasync(*args, env=env, timeout=120)
        outputs[" ".join(args)] = result.stdout + result.stderr
    # Health served from MongoDB heartbeats (standalone mode) too.
    port = free_port()
    server = spawn("health", "--serve", "--health-port", str(port), env=env, log=tmp_path / "health-serve.log")
    try:
        result = wait_for(
            lambda: (lambda r: r if r.returncode in (0, 1) else None)(
                jirasync("health", "--url", f"http://127.0.0.1:{port}/health", "--json", env=env)
            ),
            40,
            interval=0.5,
            message="health --serve answers",
        )
        outputs["health --serve /health"] = result.stdout + result.stderr
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(20)
    people.stop()
    emu.faults.clear()
    assert sup.stop() == 0
    # With the supervisor gone, a real one-off cycle of each kind.
    for args in (("run-worker", "sync-ab", "--once", "--json"), ("run-worker", "sync-cd", "--once")):
        result = jirasync(*args, env=env, timeout=120)
        outputs[" ".join(args) + " (alone)"] = result.stdout + result.stderr
        assert result.returncode in (0, 1), result.stderr[-2000:]
    outputs["supervisor and worker logs"] = sup.log.read_text()
    outputs["health --serve log"] = (tmp_path / "health-serve.log").read_text()

    # The outputs are real: the pairs ran, Jira refused the denied pair, the broken file was reported.
    logs = outputs["supervisor and worker logs"]
    assert "cycle finished" in logs and "401" in logs, logs[-3000:]
    assert '"sync-broken.json"' in outputs["validate-configs --json"]
    assert json.loads(outputs["state show sync-ab --json"])["mappings"]["linked"] >= 1
    assert len(emu.issues("DEV")) >= 1 and any(e.status == 401 for e in emu.request_log)

    leaked = {name: leaks(text, secret_forms) for name, text in outputs.items()}
    leaked = {name: found for name, found in leaked.items() if found}
    details = []
    for name in leaked:
        text = outputs[name]
        for form in leaked[name]:
            i = text.find(secret_forms[form])
            details.append(f"{name} ({form}): ...{text[max(0, i - 300) : i + 80]}...")
    assert not leaked, "secret printed:\n" + "\n".join(details)
