from __future__ import annotations

import json
from pathlib import Path

import pytest

from jirasync_cli.config.loader import load_config_dir, parse_config
from tests.conftest import SECRET_TOKEN, pair_config

ENV = {"JIRA_API_TOKEN": SECRET_TOKEN}


def test_valid_config_gets_defaults(write_config):
    doc = pair_config()
    del doc["name"]
    directory = write_config("sync-ab.json", doc)
    result = load_config_dir(directory, ENV)
    assert result.problems == []
    cfg = result.configs[0].config
    assert (cfg.name, cfg.database, cfg.initial_sync_enabled) == ("sync-ab", "sync_ab", True)
    assert cfg.jira.api_token.get_secret_value() == SECRET_TOKEN
    assert cfg.rules[1].target_status == "Resolved"  # actions.targetStatus lifted to the rule


def test_directory_mix_reports_each_bad_file_and_keeps_valid_ones(write_config):
    write_config("sync-good.json", pair_config("good"))
    write_config("sync-broken.json", '{"name": "x",')
    write_config("sync-schema.json", pair_config("schema", syncIntervalMinutes=-1))
    write_config("sync-dup1.json", pair_config("same"))
    write_config("sync-dup2.json", pair_config("same", database="other_db"))
    directory = write_config("other.json", pair_config("ignored"))

    result = load_config_dir(directory, ENV)

    assert [c.config.name for c in result.configs] == ["good"]
    lines = [p.line() for p in result.problems]
    assert lines == [
        "sync-broken.json: $: invalid JSON: Expecting property name enclosed in double quotes at line 1 column 14",
        "sync-dup1.json: $.name: name 'same' is also used by sync-dup2.json",
        "sync-dup2.json: $.name: name 'same' is also used by sync-dup1.json",
        "sync-schema.json: $.syncIntervalMinutes: Input should be greater than 0",
    ]
    assert not result.ok


def test_duplicate_database_is_a_clash(write_config):
    write_config("sync-a.json", pair_config("a", database="shared"))
    directory = write_config("sync-b.json", pair_config("b", database="shared"))
    result = load_config_dir(directory, ENV)
    assert result.configs == []
    assert {p.path for p in result.problems} == {"$.database"}


def test_unknown_keys_are_errors_but_underscore_keys_are_comments():
    doc = pair_config(_note="fine", syncIntervalMinute=5)
    doc["rules"][0]["_why"] = "comment inside a rule"
    doc["rules"][0]["actions"]["createIsue"] = True
    problems = parse_config("sync-ab.json", json.dumps(doc).encode(), ENV)
    assert [(p.path, p.reason) for p in problems] == [
        ("$.rules[0].actions.createIsue", "unknown key (did you mean 'createIssue'?)"),
        ("$.syncIntervalMinute", "unknown key (did you mean 'syncIntervalMinutes'?)"),
    ]


def test_env_interpolation_and_missing_variable():
    doc = pair_config()
    doc["jira"]["baseUrl"] = "https://${SITE}.atlassian.net"
    cfg = parse_config("sync-ab.json", json.dumps(doc).encode(), {**ENV, "SITE": "acme"})
    assert cfg.jira.base_url == "https://acme.atlassian.net"
    # Template placeholders are not environment variables.
    assert cfg.rules[0].actions.comment_template == "Dev issue: ${targetKey}"

    problems = parse_config("sync-ab.json", json.dumps(doc).encode(), ENV)
    assert [p.line() for p in problems] == ["sync-ab.json: $.jira.baseUrl: environment variable SITE is not set"]


def test_dollar_escape_and_bad_reference():
    doc = pair_config()
    doc["rules"][0]["actions"]["commentTemplate"] = "costs $$5 for ${targetKey}"
    cfg = parse_config("sync-ab.json", json.dumps(doc).encode(), ENV)
    assert cfg.rules[0].actions.comment_template == "costs $5 for ${targetKey}"
    doc["rules"][0]["actions"]["commentTemplate"] = "${no such}"
    problems = parse_config("sync-ab.json", json.dumps(doc).encode(), ENV)
    assert problems[0].reason == "invalid variable reference ${no such}"


@pytest.mark.parametrize(
    ("mutate", "path", "reason"),
    [
        (lambda d: d.update(userProjectKey="DEV"), "$", "userProjectKey and devProjectKey must differ"),
        (lambda d: d.update(userProjectKey="us er"), "$.userProjectKey", "String should match pattern"),
        (lambda d: d["jira"].update(authType="oauth"), "$.jira.authType", "Input should be 'basic' or 'pat'"),
        (lambda d: d["jira"].pop("email"), "$.jira", "email is required when authType is basic"),
        (
            lambda d: d["rules"][1]["actions"].pop("targetStatus"),
            "$.rules[1]",
            "actions.syncStatus needs a targetStatus",
        ),
        (lambda d: d["rules"][1].update(syncDirection="sideways"), "$.rules[1].syncDirection", "Input should be"),
        (
            lambda d: d["rules"][0]["actions"].update(commentTemplate="${targetkey}"),
            "$.rules[0].actions.commentTemplate",
            "environment variable targetkey is not set (did you mean the placeholder ${targetKey}?)",
        ),
        (lambda d: d["rules"].append(dict(d["rules"][0])), "$", "duplicate rule id 'create-dev'"),
        (lambda d: d.update(rules=[]), "$.rules", "List should have at least 1 item"),
        (lambda d: d.update(database="a.b"), "$.database", "String should match pattern"),
    ],
)
def test_schema_errors_name_the_field(mutate, path, reason):
    doc = pair_config()
    mutate(doc)
    problems = parse_config("sync-ab.json", json.dumps(doc).encode(), ENV)
    assert isinstance(problems, list), "expected the config to be rejected"
    assert problems[0].path == path
    assert problems[0].reason.startswith(reason)


def test_unreadable_file_is_a_problem(write_config, tmp_path: Path):
    directory = write_config("sync-ok.json", pair_config("ok"))
    (directory / "sync-dir.json").mkdir()  # a directory matching the glob is a mistake worth a line
    broken = directory / "sync-link.json"
    broken.symlink_to(tmp_path / "does-not-exist")
    target = tmp_path / "elsewhere.json"  # a link to a regular file is fine (Kubernetes mounts are links)
    target.write_text(json.dumps(pair_config("linked", database="linked_db")))
    (directory / "sync-linked.json").symlink_to(target)
    result = load_config_dir(directory, ENV)
    assert sorted(c.config.name for c in result.configs) == ["linked", "ok"]
    assert [p.line() for p in result.problems] == [
        "sync-dir.json: $: not a regular file (a directory)",
        "sync-link.json: $: cannot read file: No such file or directory",
    ]


def test_missing_directory(tmp_path: Path):
    result = load_config_dir(tmp_path / "nope", ENV)
    assert result.missing_directory and not result.ok


def test_token_never_in_problems():
    doc = pair_config()
    doc["jira"]["apiToken"] = SECRET_TOKEN
    doc["jira"]["authType"] = SECRET_TOKEN  # the bad value itself is the secret
    problems = parse_config("sync-ab.json", json.dumps(doc).encode(), {})
    assert problems and all(SECRET_TOKEN not in p.line() for p in problems)
