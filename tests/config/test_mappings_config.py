"""The optional ``mappings`` block of a pair's file: accepted tables reach the run-time config
(and the worker pipe) intact; a broken table is one line naming the field and the values."""

from __future__ import annotations

import json

import pytest

from jirasync_cli.config.loader import parse_config
from jirasync_cli.config.models import config_json_schema
from jirasync_cli.config.pair import PairConfig, StrMap
from tests.conftest import SECRET_TOKEN, pair_config

ENV = {"JIRA_API_TOKEN": SECRET_TOKEN}


def load(mappings):
    doc = pair_config("sync-x", mappings=mappings)
    return parse_config("sync-x.json", json.dumps(doc).encode(), ENV)


def test_a_file_without_mappings_has_empty_tables():
    config = parse_config("sync-x.json", json.dumps(pair_config("sync-x")).encode(), ENV)
    assert isinstance(config, PairConfig)
    assert config.mappings.statuses == {} and config.mappings.dev_to_user.users == {}


def test_tables_reach_the_worker_unchanged():
    config = load(
        {
            "statuses": {"Done": "Erledigt", "In Progress": "10002"},
            "priorities": {"Highest": "Blocker"},
            "issueTypes": {"Bug": "Defect"},
            "users": {"bob@customer.example": "robert"},
            "devToUser": {"statuses": {"Zu erledigen": "Open"}},
        }
    )
    assert isinstance(config, PairConfig)
    assert config.mappings.statuses == {"Done": "Erledigt", "In Progress": "10002"}
    assert isinstance(config.mappings.issue_types, StrMap) and config.mappings.issue_types["Bug"] == "Defect"
    assert config.mappings.dev_to_user.statuses == {"Zu erledigen": "Open"}
    wire = json.loads(json.dumps(config.to_dict()))
    assert wire["mappings"]["users"] == {"bob@customer.example": "robert"}
    assert PairConfig.from_dict(wire) == config
    hash(config)  # still a frozen, hashable value
    with pytest.raises(TypeError):
        config.mappings.statuses["Done"] = "x"  # type: ignore[index]


@pytest.mark.parametrize(
    ("mappings", "line"),
    [
        ({"statuses": {"Done": ""}}, "sync-x.json: $.mappings: mappings.statuses.Done: the value is empty"),
        (
            {"statuses": {"Open": "Zu erledigen", "New": "zu erledigen"}},
            "sync-x.json: $.mappings: mappings.statuses: 'Open' and 'New' both map to 'Zu erledigen', "
            "so 'Zu erledigen' on the dev side has no single user-side value; "
            "add 'Zu erledigen' to mappings.devToUser.statuses",
        ),
        (
            {"users": {"Bob@x.example": "robert", "bob@x.example": "rob"}},
            "sync-x.json: $.mappings: mappings.users: 'Bob@x.example' and 'bob@x.example' are the same value "
            "(case is ignored)",
        ),
        ({"statuses": {"Done": 3}}, "sync-x.json: $.mappings.statuses.Done: Input should be a valid string"),
        ({"state": {}}, "sync-x.json: $.mappings.state: unknown key (did you mean 'statuses'?)"),
    ],
)
def test_a_broken_table_is_one_line_naming_the_field(mappings, line):
    problems = load(mappings)
    assert isinstance(problems, list)
    assert [p.line() for p in problems] == [line]


def test_an_ambiguous_table_settled_by_dev_to_user_is_valid():
    config = load(
        {
            "statuses": {"Open": "Zu erledigen", "New": "Zu erledigen"},
            "devToUser": {"statuses": {"Zu erledigen": "Open"}},
        }
    )
    assert isinstance(config, PairConfig)


def test_the_schema_documents_the_block():
    schema = config_json_schema()
    mappings = schema["$defs"]["Mappings"]["properties"]
    assert set(mappings) == {"statuses", "priorities", "issueTypes", "users", "devToUser"}
    assert mappings["statuses"]["additionalProperties"] == {"type": "string"}
    assert "by name or id" in mappings["statuses"]["description"]
