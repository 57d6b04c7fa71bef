"""One config type at run time: every config the project ships or tests with survives
model -> PairConfig -> JSON (the worker pipe) -> PairConfig unchanged, the dataclasses and
the models name the same fields, and the worker side never loads pydantic."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from jirasync_cli.config import pair as runtime
from jirasync_cli.config.interpolate import interpolate, strip_comments
from jirasync_cli.config.loader import parse_config
from jirasync_cli.config.models import (
    Actions,
    CommentSync,
    Conditions,
    FieldSync,
    JiraConnection,
    JqlFilters,
    Mappings,
    MappingTables,
    Rule,
    SyncPairConfig,
)
from jirasync_cli.demo.world import DemoPair, write_configs
from jirasync_cli.settings import Settings
from tests.conftest import pair_config
from tests.docs.test_snippets import as_full_config, config_snippets
from tests.helpers import sync_config

REPO = Path(__file__).resolve().parents[2]
TOKEN = "round-trip-token-4711"
ENV = {
    "JIRA_API_TOKEN": TOKEN,
    "JIRA_DC_TOKEN": TOKEN,
    "JIRA_EMAIL": "bot@example.com",
    "JIRA_BASE_URL": "https://acme.atlassian.net",
    "JIRA_DC_BASE_URL": "https://jira.example.com",
    "JIRASYNC_DEMO_TOKEN": TOKEN,
}


def _configs() -> list[tuple[str, dict[str, Any]]]:
    out = [(f"examples/{p.name}", json.loads(p.read_text())) for p in sorted((REPO / "examples/config").glob("*.json"))]
    out += [
        ("tests.conftest.pair_config", pair_config()),
        ("tests.helpers.sync_config", sync_config("sync-ab", "http://127.0.0.1:9", token=TOKEN)),
    ]
    out += [(where, as_full_config(json.loads(text))) for where, text in config_snippets()]
    return out


def _demo_configs(tmp_path: Path) -> list[tuple[str, dict[str, Any]]]:
    write_configs([DemoPair("sync-demo", "USR", "DEV")], "http://127.0.0.1:9", tmp_path, 30.0)
    return [(f"demo/{p.name}", json.loads(p.read_text())) for p in sorted(tmp_path.glob("*.json"))]


def _model(doc: dict[str, Any]) -> SyncPairConfig:
    data = interpolate(strip_comments(doc), ENV)
    data.setdefault("name", "sync-snippet")
    return SyncPairConfig.model_validate(data)


@pytest.mark.parametrize(("where", "doc"), _configs(), ids=[w for w, _ in _configs()])
def test_every_config_survives_the_trip_to_a_worker(where, doc):
    model = _model(doc)
    config = model.to_pair_config()
    wire = json.loads(json.dumps(config.to_dict()))  # what the supervisor writes to a worker's stdin
    assert runtime.PairConfig.from_dict(wire) == config
    # Every validated value is there (the token in clear, for the worker only).
    expected = model.model_dump(mode="json")
    for block in ("jira", "user_jira", "dev_jira"):  # a cross-site pair has a token per site
        if getattr(model, block) is not None:
            expected[block]["api_token"] = getattr(model, block).api_token.get_secret_value()
    assert wire == expected
    loaded = parse_config("sync-snippet.json", json.dumps(doc).encode(), ENV)
    assert loaded == config, "the loader returns the same PairConfig"


def test_demo_configs_survive_the_trip_to_a_worker(tmp_path):
    [(_, doc)] = _demo_configs(tmp_path)
    config = _model(doc).to_pair_config()
    assert runtime.PairConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config


def test_the_round_trip_covers_every_optional_section():
    """The configs above exercise what a newcomer may set, so a field lost on the way shows."""
    configs = [_model(doc).to_pair_config() for _, doc in _configs()]
    rules = [r for c in configs for r in c.rules]
    assert any(c.jql.user and c.jql.dev for c in configs)
    assert any(c.field_sync.fields != ("summary", "description", "priority", "labels") for c in configs)
    assert any(not c.comment_sync.dev_to_user for c in configs)
    for condition in ("issue_types", "labels", "exclude_labels", "priorities"):
        assert any(getattr(r.conditions, condition) for r in rules), condition
    assert {d.value for d in runtime.Direction} == {r.sync_direction.value for r in rules}
    assert any(c.jira.auth_type == "pat" for c in configs) and any(c.jira.api_version for c in configs)


@pytest.mark.parametrize(
    ("model", "dataclass"),
    [
        (SyncPairConfig, runtime.PairConfig),
        (JiraConnection, runtime.JiraSite),
        (Rule, runtime.Rule),
        (Conditions, runtime.Conditions),
        (Actions, runtime.Actions),
        (CommentSync, runtime.CommentSync),
        (FieldSync, runtime.FieldSync),
        (JqlFilters, runtime.JqlFilters),
        (Mappings, runtime.Mappings),
        (MappingTables, runtime.MappingTables),
    ],
)
def test_models_and_dataclasses_name_the_same_fields(model, dataclass):
    assert list(model.model_fields) == [f.name for f in dataclasses.fields(dataclass)]


def test_the_token_never_shows_and_the_config_is_frozen():
    config = _model(pair_config()).to_pair_config()
    assert config.jira.api_token.get_secret_value() == TOKEN
    for text in (repr(config), str(config), repr(config.jira), f"{config.jira.api_token}"):
        assert TOKEN not in text
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.name = "other"  # type: ignore[misc]
    assert _model(pair_config()).model_dump_json().count(TOKEN) == 0


def test_settings_have_one_field_per_environment_setting_with_the_same_default():
    from jirasync_cli.settings_env import EnvSettings

    fields = {f.name: f.default for f in dataclasses.fields(Settings)}
    assert fields.pop("reload_on_hup") is False  # the one that comes from a command-line option
    assert fields == {name: f.default for name, f in EnvSettings.model_fields.items()}


def test_settings_survive_the_trip_to_the_supervisor_and_workers():
    settings = Settings(config_dir=Path("/etc/jirasync"), health_port=0, reload_on_hup=True)
    assert Settings.from_dict(json.loads(json.dumps(settings.to_dict()))) == settings
    assert settings.replace(health_port=None, health_host="127.0.0.1") == dataclasses.replace(
        settings, health_host="127.0.0.1"
    )


WORKER_SIDE = [
    "jirasync_cli.__main__",
    "jirasync_cli.runtime.worker",
    "jirasync_cli.runtime.supervisor",
    "jirasync_cli.runtime.wiring",
    "jirasync_cli.runtime.once",
    "jirasync_cli.runtime.ipc",
    "jirasync_cli.sync.cycle",
    "jirasync_cli.jira.client",
    "jirasync_cli.store",
    "jirasync_cli.config",
    "jirasync_cli.settings",
    "jirasync_cli.health.report",
    "jirasync_cli.health.server",
]


def test_the_worker_side_never_imports_pydantic():
    wire = _model(pair_config()).to_pair_config().to_dict()
    code = (
        "import json, sys\n"
        f"for name in {WORKER_SIDE!r}: __import__(name)\n"
        "from jirasync_cli.config.pair import PairConfig\n"
        "from jirasync_cli.settings import Settings\n"
        "config = PairConfig.from_dict(json.loads(sys.stdin.read()))\n"
        "Settings.from_dict(Settings().to_dict())\n"
        "config.rules_in_order(), config.interval_seconds(5), config.db_name\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pydantic', 'pydantic_core', "
        "'pydantic_settings', 'typer', 'rich')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], input=json.dumps(wire), capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
