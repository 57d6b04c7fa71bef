"""``jirasync health``: read a supervisor's ``/health`` (exit code for Docker HEALTHCHECK), or
serve ``/health`` built from the heartbeats workers store in MongoDB (standalone workers)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jirasync_cli.config.loader import load_config_dir
from jirasync_cli.health.report import HealthReport, Stored, StoredFacts, WorkerHealth, build_report
from jirasync_cli.runtime.timing import heartbeat_timeout
from jirasync_cli.settings import Settings

EXIT_CODES = {"healthy": 0, "degraded": 1}


def exit_code(status: str) -> int:
    return EXIT_CODES.get(status, 2)


def fetch(url: str, timeout: float = 5.0) -> dict[str, Any]:
    """The health document at ``url``; an unreachable endpoint is reported as unhealthy."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - operator-given URL
            doc: dict[str, Any] = json.loads(response.read())
            return doc
    except urllib.error.HTTPError as exc:  # 503 still carries the document
        try:
            doc = json.loads(exc.read())
            return doc
        except ValueError:
            return {"status": "unhealthy", "workers": [], "errors": [f"HTTP {exc.code} from {url}"]}
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return {"status": "unreachable", "workers": [], "errors": [f"cannot reach {url}: {reason}"]}


def mongo_health(settings: Settings, config_dir: Path) -> HealthReport:
    """Health of standalone workers from their stored heartbeats."""
    from jirasync_cli.errors import JirasyncError
    from jirasync_cli.runtime.wiring import open_store

    result = load_config_dir(config_dir)
    now = datetime.now(UTC)
    workers = []
    errors = []
    for loaded in result.configs:
        cfg = loaded.config
        interval = cfg.interval_seconds(settings.sync_interval_minutes)
        limit = max(heartbeat_timeout(interval), interval + 60)
        try:
            beats = open_store(cfg, settings, indexes=False).heartbeats()
        except JirasyncError as exc:
            errors.append(f"{cfg.name}: {exc}")
            beats = []
        fresh = [
            b
            for b in beats
            if isinstance(b.get("ts"), datetime)
            and (now - _aware(b["ts"])).total_seconds() <= limit
            and b.get("state") not in ("stopping", "stopped")
        ]
        best = _pick(fresh)
        beat = best or {}
        last_cycle = beat.get("last_cycle") or None
        workers.append(
            WorkerHealth(
                name=cfg.name,
                pid=beat.get("pid"),
                state="failed" if not best else ("standby" if beat.get("state") == "standby" else "running"),
                ok=bool(best) and not beat.get("error") and beat.get("state") != "error",
                last_heartbeat=_aware(beat["ts"]).isoformat(timespec="seconds") if best else None,
                last_cycle={k: last_cycle.get(k) for k in ("result", "mode", "startedAt")} if last_cycle else None,
                jira_requests=beat.get("jira_requests") or {},
                error=beat.get("error") or (None if best else "no recent heartbeat"),
                stored=Stored(instances=len(fresh)),
            )
        )
    return build_report(
        workers,
        config_dir=str(config_dir),
        invalid_configs=[p.line() for p in result.problems],
        problems=errors,
        stored=StoredFacts(generated_at=now.isoformat(timespec="seconds"), ts=time.time()),
    )


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _pick(beats: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The instance that speaks for the pair: the lease holder if any, else the newest."""
    if not beats:
        return None
    return sorted(beats, key=lambda b: (b.get("state") in ("running", "error"), _aware(b["ts"])))[-1]
