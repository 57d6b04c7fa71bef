"""Arbitrary bytes and JSON as config files: never a traceback, one-line problems per bad file."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jirasync_cli.config import load_config_dir
from jirasync_cli.config.loader import parse_config
from tests.conftest import pair_config

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)


def _mutated_config():
    """Valid documents with one key replaced by arbitrary JSON: exercises deep schema paths."""
    base = pair_config()
    keys = ["name", "jira", "userProjectKey", "devProjectKey", "syncIntervalMinutes", "rules", "database",
            "initialSyncEnabled", "commentSync", "fieldSync", "jql"]
    return st.tuples(st.sampled_from(keys), json_values).map(lambda kv: {**base, kv[0]: kv[1]})


def _check(outcome) -> None:
    if isinstance(outcome, list):
        assert outcome, "a rejected file must carry at least one problem"
        for problem in outcome:
            line = problem.line()
            assert "\n" not in line and line.startswith("sync-x.json: $")
            assert "Traceback" not in line


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes(raw):
    _check(parse_config("sync-x.json", raw, {}))


@settings(max_examples=300, deadline=None)
@given(json_values | _mutated_config())
def test_arbitrary_json(doc):
    _check(parse_config("sync-x.json", json.dumps(doc).encode(), {"JIRA_API_TOKEN": "t0ken"}))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.binary(max_size=80) | json_values.map(lambda d: json.dumps(d).encode()), max_size=4))
def test_directory_of_garbage_still_loads_the_valid_file(tmp_path_factory, blobs):
    directory = tmp_path_factory.mktemp("cfg")
    (directory / "sync-valid.json").write_text(json.dumps(pair_config("valid")))
    for i, blob in enumerate(blobs):
        (directory / f"sync-junk{i}.json").write_bytes(blob)
    result = load_config_dir(directory, {"JIRA_API_TOKEN": "t0ken"})
    assert [c.config.name for c in result.configs] == ["valid"]
    bad_files = {p.file for p in result.problems}
    assert bad_files == {f"sync-junk{i}.json" for i in range(len(blobs))}
    assert all("\n" not in p.line() for p in result.problems)
