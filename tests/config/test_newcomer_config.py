"""Config mistakes a newcomer makes, each answered by one line that says what to fix."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from jirasync_cli.config.loader import parse_config
from tests.conftest import SECRET_TOKEN, pair_config

REPO = Path(__file__).resolve().parents[2]
ALL_VARS = {
    "JIRA_BASE_URL": "https://example.atlassian.net",
    "JIRA_EMAIL": "bot@example.com",
    "JIRA_API_TOKEN": SECRET_TOKEN,
}


def three_variable_config() -> dict:
    doc = pair_config()
    doc["jira"].update(baseUrl="${JIRA_BASE_URL}", email="${JIRA_EMAIL}", apiToken="${JIRA_API_TOKEN}")
    return doc


def test_every_missing_variable_is_named_with_its_path():
    problems = parse_config("sync-ab.json", json.dumps(three_variable_config()).encode(), {})
    assert [(p.path, p.reason) for p in problems] == [
        (
            "$",
            "environment variables JIRA_BASE_URL ($.jira.baseUrl), JIRA_EMAIL ($.jira.email), "
            "JIRA_API_TOKEN ($.jira.apiToken) are not set",
        )
    ]
    (one,) = parse_config(
        "sync-ab.json",
        json.dumps(three_variable_config()).encode(),
        {k: v for k, v in ALL_VARS.items() if k != "JIRA_EMAIL"},
    )
    assert (one.path, one.reason) == ("$.jira.email", "environment variable JIRA_EMAIL is not set")


@pytest.mark.parametrize(
    ("where", "typo", "suggestion"),
    [
        ((), "syncIntervalMinute", "syncIntervalMinutes"),
        (("jira",), "baseURL", "baseUrl"),
        (("jira",), "apitoken", "apiToken"),
        (("rules", 0, "actions"), "commentOnn", "commentOn"),
        (("rules", 0), "sourcestatus", "sourceStatus"),
        (("commentSync",), "usertodev", "userToDev"),
    ],
)
def test_a_misspelt_key_gets_the_closest_known_key(where, typo, suggestion):
    doc = pair_config(commentSync={"enabled": True})
    node = doc
    for part in where:
        node = node[part]
    node[typo] = node.pop(suggestion, "x") if suggestion in node else True
    problems = parse_config("sync-ab.json", json.dumps(doc).encode(), {"JIRA_API_TOKEN": SECRET_TOKEN})
    expected = f"unknown key (did you mean {suggestion!r}?)"
    assert any(p.reason == expected and p.path.endswith(typo) for p in problems), [p.line() for p in problems]


def test_a_key_like_nothing_known_gets_no_guess():
    problems = parse_config("sync-ab.json", json.dumps(pair_config(zzzqqq=1)).encode(), {"JIRA_API_TOKEN": "t0ken"})
    assert [(p.path, p.reason) for p in problems] == [("$.zzzqqq", "unknown key")]


def test_run_worker_names_the_missing_variable_not_a_missing_config(cli, write_config):
    directory = write_config("sync-x.json", pair_config("sync-x"))
    result = cli.run("run-worker", "x", "-c", str(directory), "--once", env={"JIRA_API_TOKEN": None})
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert (
        len(lines) == 1
        and "sync-x.json is invalid: $.jira.apiToken: environment variable JIRA_API_TOKEN is not set" in lines[0]
    ), result.stderr
    assert "valid: none" not in result.stderr


def test_validate_configs_passes_the_shipped_examples_without_secrets_and_warns(cli, tmp_path):
    directory = tmp_path / "examples"
    shutil.copytree(REPO / "examples" / "config", directory)
    clear = {
        name: None for name in ("JIRA_BASE_URL", "JIRA_EMAIL", "JIRA_API_TOKEN", "JIRA_DC_BASE_URL", "JIRA_DC_TOKEN")
    }
    result = cli.run("validate-configs", "-c", str(directory), "--json", env=clear)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"] and report["problems"] == [] and len(report["valid"]) == 3
    unset = [w for w in report["warnings"] if "not set" in w["message"]]
    assert {w["file"] for w in unset} == {"sync-ab.json", "sync-cd.json", "sync-xy.json"}
    assert any("JIRA_API_TOKEN ($.jira.apiToken)" in w["message"] for w in unset)
    strict = cli.run("validate-configs", "-c", str(directory), "--require-env", env=clear)
    assert strict.exit_code == 1 and "JIRA_API_TOKEN" in strict.stdout


def test_validate_configs_without_secrets_still_reports_real_errors(cli, write_config):
    doc = three_variable_config()
    doc["rules"][1]["actions"]["targetStatus"] = None  # syncStatus without a target: a rule error
    directory = write_config("sync-ab.json", doc)
    result = cli.run("validate-configs", "-c", str(directory), "--json", env={k: None for k in ALL_VARS})
    report = json.loads(result.stdout)
    assert result.exit_code == 1 and report["invalid"] == ["sync-ab.json"]
    assert [p["path"] for p in report["problems"]] == ["$.rules[1]"]
    assert report["warnings"] and "JIRA_EMAIL" in report["warnings"][0]["message"]


def test_validate_configs_table_shows_the_warning(cli, write_config):
    directory = write_config("sync-ab.json", pair_config())
    result = cli.run("validate-configs", "-c", str(directory), env={"JIRA_API_TOKEN": None})
    assert result.exit_code == 0
    assert "! sync-ab.json: $.jira.apiToken: environment variable JIRA_API_TOKEN is not set" in result.stdout
