"""Process settings from JIRASYNC_* variables, the unprefixed legacy names and .env."""

from __future__ import annotations

from jirasync_cli.settings_env import read_settings


def test_settings_defaults_and_legacy_names(monkeypatch):
    s = read_settings()
    assert (s.mongodb_url, s.health_port, str(s.config_dir), s.sync_interval_minutes) == (
        "mongodb://localhost:27017",
        3000,
        "config",
        5.0,
    )
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
