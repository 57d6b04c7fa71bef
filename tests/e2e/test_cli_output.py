"""What the CLI prints, over a real pair (emulator over HTTP, real MongoDB): one JSON key
spelling for every command, tables that survive a pipe, filled-in dry-run comments, and
counts instead of a flood of unhandled lines."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.docs.test_snippets import live_health_document
from tests.e2e.test_cycle import seed
from tests.fixtures.pair import Pair, make_pair

SNAKE = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)+$")
DATA_KEYED = {"actions", "counters", "recovered", "snapshots"}  # keys are data: action kinds, issue keys


def snake_keys(value: Any, path: str = "$") -> list[str]:
    """Every snake_case key in a JSON document, by path (data-keyed maps excepted)."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            if SNAKE.match(key):
                found.append(f"{path}.{key}")
            if key in DATA_KEYED and isinstance(item, dict):
                for inner_key, inner in item.items():
                    found += snake_keys(inner, f"{path}.{key}[{inner_key}]")
            else:
                found += snake_keys(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += snake_keys(item, f"{path}[{i}]")
    return found


def test_the_walker_finds_snake_case_keys():
    assert snake_keys({"lastCycle": {"dev_key": 1}, "actions": {"create_issue": 1}, "x": [{"rss_bytes": 1}]}) == [
        "$.lastCycle.dev_key",
        "$.x[0].rss_bytes",
    ]


def env_of(pair: Pair) -> dict[str, str]:
    return {
        "JIRASYNC_MONGODB_URL": pair.settings.mongodb_url,
        "JIRASYNC_CONFIG_DIR": str(pair.config_dir),
        "JIRASYNC_LOG_FORMAT": "json",
    }


def test_every_json_output_is_camel_case(pair: Pair, cli):
    (user_key,), _ = seed(pair.emu, 1, 1)
    env = env_of(pair)
    outputs = {}
    result = cli.run("run-worker", "sync-ab", "--once", "--dry-run", "--json", env=env)
    outputs["run-worker --dry-run"] = result
    outputs["run-worker"] = cli.run("run-worker", "sync-ab", "--once", "--json", env=env)
    pair.emu.add_comment(user_key, "more details", as_account="alice")
    cli.run("run-worker", "sync-ab", "--once", env=env)
    outputs["state show"] = cli.run("state", "show", "--json", env=env)
    outputs["state show NAME"] = cli.run("state", "show", "sync-ab", "--json", env=env)
    outputs["state show --issue"] = cli.run("state", "show", "sync-ab", "--issue", user_key, "--json", env=env)
    outputs["validate-configs"] = cli.run("validate-configs", "--json", env=env)
    with health_endpoint(live_health_document()) as url:
        outputs["health"] = cli.run("health", "--url", url, "--json", env=env)
    for command, result in outputs.items():
        doc = json.loads(result.stdout)
        assert doc, command
        assert snake_keys(doc) == [], f"jirasync {command} --json has snake_case keys"
    state = json.loads(outputs["state show NAME"].stdout)
    assert state["lastCycle"]["actions"] and state["recentActions"][0]["detail"]
    assert json.loads(outputs["health"].stdout)["workers"][0]["lastHeartbeat"] is not None


class health_endpoint:  # noqa: N801 - a context manager read as a noun
    def __init__(self, doc: dict[str, Any]) -> None:
        body = json.dumps(doc).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    def __enter__(self) -> str:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}/health"

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_state_show_piped_keeps_whole_rows_and_issue_keys_are_case_insensitive(pair: Pair, cli):
    (user_key,), _ = seed(pair.emu, 1, 0)
    pair.cycle()
    env = env_of(pair)
    result = cli.run("state", "show", env=env)
    row = next(line for line in result.stdout.splitlines() if "sync-ab" in line and "│" in line)
    assert "done" in row and "ok (full, 2 action(s))" in row, row  # the whole row on one line
    lower = cli.run("state", "show", "sync-ab", "--issue", user_key.lower(), env=env)
    assert lower.exit_code == 0 and "not mapped" not in lower.stdout
    assert f"{user_key}" in lower.stdout and "DEV-1" in lower.stdout


def test_dry_run_shows_comments_as_they_will_read(pair: Pair, cli):
    (user_key,), _ = seed(pair.emu, 1, 0)
    result = cli.run("run-worker", "sync-ab", "--once", "--dry-run", "--json", env=env_of(pair))
    details = [row["detail"] for row in json.loads(result.stdout)["plan"] if row["action"] == "comment"]
    assert details == [
        "on user issue (internal note): 'Escalated to engineering as <new dev issue>.' (rule create-dev)"
    ] or details == ["on user issue: 'Escalated to engineering as <new dev issue>.' (rule create-dev)"], details
    assert "${" not in result.stdout


def test_unhandled_changes_are_counted_and_listed_only_on_request(emu, mongo_url, tmp_path, cli, caplog):
    pair = make_pair(emu, mongo_url, tmp_path)
    keys = [emu.create_issue("USER", summary=f"Question {i}", as_account="bob") for i in range(5)]
    for key in keys:
        emu.transition(key, "Waiting for Customer", as_account="alice")
    pair.cycle()
    for key in keys:
        emu.transition(key, "In Progress", as_account="alice")
    result = cli.run("run-worker", "sync-ab", "--once", env=env_of(pair))
    assert result.exit_code == 0, result.output
    assert "5 issue(s) moved to a status no rule handles (--show-unhandled lists them)" in result.stdout
    assert "no rule matches" not in result.stdout
    for key in keys:
        emu.transition(key, "Waiting for Customer", as_account="alice")
    result = cli.run("run-worker", "sync-ab", "--once", "--show-unhandled", env=env_of(pair))
    assert result.stdout.count("no rule matches") == 5
    logged = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    info = [e for e in logged if e["level"] == "info" and "no rule" in e["message"] + str(e)]
    assert [e["message"] for e in info] == ["issues moved to a status no rule handles"] and info[0]["count"] == 5
