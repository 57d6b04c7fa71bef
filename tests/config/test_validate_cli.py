from __future__ import annotations

import json
from pathlib import Path

from jirasync_cli.config.models import config_json_schema
from tests.conftest import SECRET_TOKEN, pair_config

ENV = {"JIRA_API_TOKEN": SECRET_TOKEN}
REPO = Path(__file__).resolve().parents[2]


def _mixed_dir(write_config) -> Path:
    write_config("sync-good.json", pair_config("good"))
    write_config("sync-broken.json", "{not json")
    write_config("sync-schema.json", pair_config("schema", devProjectKey="dev"))
    write_config("sync-dup1.json", pair_config("same", database="d1"))
    write_config("sync-dup2.json", pair_config("same", database="d2"))
    return write_config("other.json", "{also not json but ignored")


def test_report_and_exit_code_for_mixed_directory(cli, write_config):
    directory = _mixed_dir(write_config)
    result = cli.run("validate-configs", "--config-dir", str(directory), "--json", env=ENV)
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert [v["name"] for v in report["valid"]] == ["good"]
    assert report["invalid"] == ["sync-broken.json", "sync-dup1.json", "sync-dup2.json", "sync-schema.json"]
    assert report["problems"] == [
        {
            "file": "sync-broken.json",
            "path": "$",
            "reason": "invalid JSON: Expecting property name enclosed in double quotes at line 1 column 2",
        },
        {"file": "sync-dup1.json", "path": "$.name", "reason": "name 'same' is also used by sync-dup2.json"},
        {"file": "sync-dup2.json", "path": "$.name", "reason": "name 'same' is also used by sync-dup1.json"},
        {
            "file": "sync-schema.json",
            "path": "$.devProjectKey",
            "reason": "String should match pattern '^[A-Z][A-Z0-9_]{0,49}$'",
        },
    ]
    assert "other.json" not in result.stdout


def test_table_output_names_files_and_problems(cli, write_config):
    directory = _mixed_dir(write_config)
    result = cli.run("validate-configs", "-c", str(directory), env=ENV)
    assert result.exit_code == 1
    out = result.stdout
    for needle in (
        "sync-good.json",
        "USER → DEV",
        "valid",
        "invalid",
        "sync-schema.json: $.devProjectKey: String should match pattern",
    ):
        assert needle in out
    assert "Traceback" not in out


def test_all_valid_exits_zero(cli, write_config):
    directory = write_config("sync-ab.json", pair_config())
    result = cli.run("validate-configs", "-c", str(directory), env=ENV)
    assert result.exit_code == 0, result.stdout
    assert "1 config(s) valid" in result.stdout


def test_none_found_exits_one(cli, tmp_path):
    (tmp_path / "empty").mkdir()
    result = cli.run("validate-configs", "-c", str(tmp_path / "empty"), "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["error"].startswith("no sync-*.json files in")
    result = cli.run("validate-configs", "-c", str(tmp_path / "missing"))
    assert result.exit_code == 1
    assert "does not exist" in result.stdout


def test_config_dir_from_environment(cli, write_config):
    directory = write_config("sync-ab.json", pair_config())
    result = cli.run("validate-configs", env={**ENV, "JIRASYNC_CONFIG_DIR": str(directory)})
    assert result.exit_code == 0


def test_usage_error_exits_two(cli):
    assert cli.run("validate-configs", "--no-such-flag").exit_code == 2


def test_examples_are_valid(cli):
    env = {
        "JIRA_BASE_URL": "https://example.atlassian.net",
        "JIRA_EMAIL": "bot@example.com",
        "JIRA_API_TOKEN": SECRET_TOKEN,
        "JIRA_DC_BASE_URL": "https://jira.example.com",
        "JIRA_DC_TOKEN": SECRET_TOKEN + "-dc",
    }
    result = cli.run("validate-configs", "-c", str(REPO / "examples" / "config"), "--json", env=env)
    assert result.exit_code == 0, result.stdout
    assert sorted(v["file"] for v in json.loads(result.stdout)["valid"]) == [
        "sync-ab.json",
        "sync-cd.json",
        "sync-xy.json",
    ]


def test_token_is_masked_everywhere(cli, write_config):
    doc = pair_config()
    doc["jira"]["apiToken"] = SECRET_TOKEN  # literal token in the file, the worst case
    doc["jira"]["email"] = SECRET_TOKEN  # and echoed where an error might print it
    doc["jira"]["authType"] = SECRET_TOKEN
    directory = write_config("sync-ab.json", doc)
    for args in ((), ("--json",)):
        result = cli.run("validate-configs", "-c", str(directory), *args)
        assert result.exit_code == 1
        assert SECRET_TOKEN not in result.output


def test_schema_option_prints_committed_schema(cli):
    result = cli.run("validate-configs", "--schema")
    assert result.exit_code == 0
    printed = json.loads(result.stdout)
    committed = json.loads((REPO / "schemas" / "sync-config.schema.json").read_text())
    assert printed == committed == config_json_schema(), (
        "schemas/sync-config.schema.json is stale: regenerate with "
        "`jirasync validate-configs --schema > schemas/sync-config.schema.json`"
    )


def test_schema_accepts_examples_and_rejects_typos():
    import jsonschema

    schema = config_json_schema()
    validator = jsonschema.Draft202012Validator(schema)
    for path in (REPO / "examples" / "config").glob("sync-*.json"):
        assert not list(validator.iter_errors(json.loads(path.read_text()))), path.name
    bad = pair_config(syncIntervalMinute=3)
    assert list(validator.iter_errors(bad))
