"""Resolved process settings as plain data, for processes that must stay small.

``Settings`` (pydantic-settings) parses the environment and ``.env`` once, in the CLI;
the supervisor and its workers receive the result as this dataclass, so neither loads
pydantic (about 20 MB each, times the number of pairs).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class ProcessSettings:
    config_dir: str
    mongodb_url: str
    health_host: str
    health_port: int
    sync_interval_minutes: float
    log_level: str
    log_format: str
    lease_ttl_seconds: float
    reload_on_hup: bool = False  # supervisor: SIGHUP reloads even when stdin is a terminal
    webhook_secret: str | None = field(default=None, repr=False)  # supervisor only: never sent to a worker

    @classmethod
    def of(cls, settings: Any, **overrides: Any) -> ProcessSettings:
        values = {name: getattr(settings, name) for name in cls.__dataclass_fields__ if hasattr(settings, name)}
        values["config_dir"] = str(values["config_dir"])
        secret = values.get("webhook_secret")
        if secret is not None and hasattr(secret, "get_secret_value"):
            values["webhook_secret"] = secret.get_secret_value() or None
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    def for_worker(self) -> dict[str, Any]:
        """What a worker receives: everything but the supervisor's own secrets."""
        return {**asdict(self), "webhook_secret": None}

    @classmethod
    def from_json(cls, text: str) -> ProcessSettings:
        return cls(**json.loads(text))
