from __future__ import annotations

import io
import json
import logging

import pytest

from jirasync_cli import logs, secrets
from jirasync_cli.settings_env import read_settings
from tests.conftest import SECRET_TOKEN


@pytest.fixture
def log_stream():
    stream = io.StringIO()
    logs.configure("INFO", "json", worker="sync-ab", stream=stream)
    yield stream
    logs.configure("INFO", "json", worker="jirasync", stream=io.StringIO())


def test_json_lines_carry_worker_level_and_extras(log_stream):
    logging.getLogger("jirasync.test").info("Running initial full sync", extra={"issues": 3})
    entry = json.loads(log_stream.getvalue().strip())
    assert entry["worker"] == "sync-ab"
    assert entry["level"] == "info"
    assert entry["message"] == "Running initial full sync"
    assert entry["issues"] == 3
    assert entry["timestamp"].endswith("+00:00")


def test_registered_secrets_are_redacted_in_logs(log_stream):
    secrets.register(SECRET_TOKEN)
    logging.getLogger("jirasync.test").warning("header was %s", f"Basic {SECRET_TOKEN}", extra={"tok": SECRET_TOKEN})
    text = log_stream.getvalue()
    assert SECRET_TOKEN not in text
    assert "***" in text


def test_text_format_on_request():
    stream = io.StringIO()
    logs.configure("INFO", "text", worker="sync-cd", stream=stream)
    logging.getLogger("x").info("hello")
    assert "[sync-cd] hello" in stream.getvalue()


def test_settings_defaults_and_legacy_names(monkeypatch):
    s = read_settings()
    assert (s.mongodb_url, s.health_port, str(s.config_dir), s.sync_interval_minutes) == (
        "mongodb://localhost:27017", 3000, "config", 5.0)
    monkeypatch.setenv("SYNC_INTERVAL_MINUTES", "2")
    monkeypatch.setenv("MONGODB_URL", "mongodb://legacy:27017")
    monkeypatch.setenv("JIRASYNC_MONGODB_URL", "mongodb://new:27017")
    s = read_settings()
    assert s.sync_interval_minutes == 2.0
    assert s.mongodb_url == "mongodb://new:27017"


def test_settings_from_dotenv(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("JIRASYNC_HEALTH_PORT=4000\nJIRASYNC_LOG_FORMAT=json\n")
    s = read_settings()
    assert (s.health_port, s.log_format) == (4000, "json")
