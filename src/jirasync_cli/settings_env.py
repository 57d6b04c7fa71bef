"""Reading the process settings from the environment (prefix ``JIRASYNC_``) and an optional
``.env`` file, with pydantic-settings; the result is a :class:`jirasync_cli.settings.Settings`.

The unprefixed names the original deployment used (``MONGODB_URL``, ``CONFIG_DIR``,
``HEALTH_PORT``, ``SYNC_INTERVAL_MINUTES``, ``LOG_LEVEL``) stay accepted so existing
``.env`` files keep working; the prefixed name wins when both are set.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from jirasync_cli.settings import Settings, SettingsError


def _env(name: str) -> AliasChoices:
    return AliasChoices(f"JIRASYNC_{name}", name)


class EnvSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    config_dir: Path = Field(Path("./config"), validation_alias=_env("CONFIG_DIR"))
    mongodb_url: str = Field("mongodb://localhost:27017", validation_alias=_env("MONGODB_URL"))
    health_host: str = Field("0.0.0.0", validation_alias=_env("HEALTH_HOST"))
    health_port: int = Field(3000, ge=0, le=65535, validation_alias=_env("HEALTH_PORT"))
    sync_interval_minutes: float = Field(5.0, gt=0, validation_alias=_env("SYNC_INTERVAL_MINUTES"))
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", validation_alias=_env("LOG_LEVEL"))
    log_format: Literal["auto", "json", "text"] = Field("auto", validation_alias=_env("LOG_FORMAT"))
    # Lease time-to-live for one runner per pair across supervisors (seconds).
    lease_ttl_seconds: float = Field(30.0, gt=0, validation_alias=_env("LEASE_TTL_SECONDS"))
    # HMAC secret of Jira webhooks (POST /webhook); unset: unsigned webhooks are accepted.
    webhook_secret: SecretStr | None = Field(None, validation_alias=AliasChoices("JIRASYNC_WEBHOOK_SECRET"))


def read_settings() -> Settings:
    """The settings of this process; a bad value is a :class:`SettingsError` naming the variable."""
    try:
        parsed = EnvSettings()
    except ValidationError as exc:
        raise SettingsError(_describe(exc)) from None
    values = parsed.model_dump()
    secret = values.pop("webhook_secret")
    # A field missing in Settings fails here, at once; an empty secret is no secret.
    return Settings(**values, webhook_secret=secret.get_secret_value() or None if secret else None)


def _describe(error: ValidationError) -> str:
    problems = []
    for item in error.errors(include_url=False):
        loc = str(item["loc"][0]) if item["loc"] else ""
        names = next(
            (
                [str(c) for c in f.validation_alias.choices]
                for f in EnvSettings.model_fields.values()
                if isinstance(f.validation_alias, AliasChoices) and loc in f.validation_alias.choices
            ),
            [loc],
        )
        environ = {k.upper() for k in os.environ}
        present = [n for n in names if n.upper() in environ]
        name = present[0] if present else f"{names[0]} (from .env)"
        value = item.get("input")
        reason = item["msg"].removeprefix("Value error, ")
        problems.append(f"{name}={str(value)[:60]!r}: {reason}")
    return "invalid setting " + "; ".join(problems)
