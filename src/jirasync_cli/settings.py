"""Process settings: one frozen dataclass, whatever process runs.

The CLI reads them from the environment (prefix ``JIRASYNC_``) and an optional ``.env``
with pydantic-settings (:mod:`jirasync_cli.settings_env`, loaded only there); the
supervisor and its workers receive the result as JSON (:meth:`Settings.to_dict`) and never
load pydantic (about 20 MB each, times the number of pairs).
"""

from __future__ import annotations

import dataclasses
from functools import lru_cache
from pathlib import Path
from typing import Any

from jirasync_cli.errors import JirasyncError


@dataclasses.dataclass(frozen=True)
class Settings:
    """Defaults and meaning: :class:`jirasync_cli.settings_env.EnvSettings` (a test keeps both in step)."""

    config_dir: Path = Path("./config")
    mongodb_url: str = "mongodb://localhost:27017"
    health_host: str = "0.0.0.0"
    health_port: int = 3000
    sync_interval_minutes: float = 5.0
    log_level: str = "INFO"
    log_format: str = "auto"
    lease_ttl_seconds: float = 30.0  # one runner per pair across supervisors
    # Not an environment setting: `supervise --reload-on-hup` (SIGHUP reloads even with stdin on a terminal).
    reload_on_hup: bool = False
    # HMAC secret of Jira webhooks (supervisor only: never sent to a worker, never in a repr).
    webhook_secret: str | None = dataclasses.field(default=None, repr=False)

    def replace(self, **changes: Any) -> Settings:
        """A copy with the given values (None means: keep this one)."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "config_dir": str(self.config_dir)}

    def for_worker(self) -> dict[str, Any]:
        """What a worker receives: everything but the supervisor's own secrets."""
        return {**self.to_dict(), "webhook_secret": None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Settings:
        return cls(**{**data, "config_dir": Path(data["config_dir"])})


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process settings from the environment; a bad value is a :class:`SettingsError` naming the variable."""
    from jirasync_cli.settings_env import read_settings

    return read_settings()


class SettingsError(JirasyncError):
    """A process setting (environment variable or .env entry) has a value it cannot have."""
