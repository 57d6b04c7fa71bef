"""What ``jirasync state show`` reports, read from a pair's database (JSON-ready dicts)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from jirasync_cli.cli.jsonkeys import camel_keys
from jirasync_cli.config import PairConfig
from jirasync_cli.runtime.wiring import open_store
from jirasync_cli.settings import Settings


def _iso(value: dict[str, Any]) -> dict[str, Any]:
    """JSON-ready: datetimes as ISO 8601, keys camelCase (see :mod:`jirasync_cli.cli.jsonkeys`)."""
    ready: dict[str, Any] = camel_keys(_dates(value))
    return ready


def _dates(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _dates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dates(v) for v in value]
    return value


def pair_state(config: PairConfig, settings: Settings, recent: int = 10) -> dict[str, Any]:
    store = open_store(config, settings, indexes=False)
    state = store.load_state()
    return _iso(
        {
            "name": config.name,
            "database": config.db_name,
            "last_sync": state.last_sync,
            # a cross-site pair's watermark on each site, by that site's clock
            **({"watermarks": dict(state.watermarks)} if config.cross_site else {}),
            "initial_sync_completed": state.initial_sync_completed,
            "created_at": state.created_at,
            "updated_at": state.updated_at,
            "mappings": store.count_mappings(),
            "retrying": state.retry_keys,
            "counters": state.counters,
            "last_cycle": state.last_cycle,
            "recent_actions": store.recent_audit(recent),
        }
    )


def issue_state(config: PairConfig, settings: Settings, key: str) -> dict[str, Any]:
    key = key.strip().upper()  # Jira keys are upper case; "sup-4" means SUP-4
    store = open_store(config, settings, indexes=False)
    mapping = store.mapping(key) or store.mapping_by_dev(key)
    keys = [key] if mapping is None else [k for k in (mapping.user_key, mapping.dev_key) if k]
    snaps = store.snapshots(keys)
    return _iso(
        {
            "pair": config.name,
            "key": key,
            "mapping": None
            if mapping is None
            else {
                "user_key": mapping.user_key,
                "dev_key": mapping.dev_key,
                "state": mapping.state,
                "linked": mapping.linked,
                "created_at": mapping.created_at,
                "rule": mapping.rule_id,
            },
            "snapshots": {
                k: {
                    "status": s.status,
                    "updated": s.updated,
                    "comments_seen": len(s.comments),
                    "comments_written": len(s.own),
                    "mirrored": len(s.mirrors),
                }
                for k, s in snaps.items()
            },
            "history": store.recent_audit(100, key=key),
        }
    )


def lease_holder(config: PairConfig, settings: Settings) -> Any:  # -> Holder | None
    """Who runs the pair now (a supervisor's worker, a standalone ``run-worker``), if anyone."""
    from jirasync_cli.runtime.wiring import mongo
    from jirasync_cli.store.lease import live_holder

    return live_holder(mongo(settings), config.db_name)


def reset_state(config: PairConfig, settings: Settings, *, forget_mappings: bool) -> dict[str, int]:
    return open_store(config, settings, indexes=False).reset_state(forget_mappings=forget_mappings)


RESET_TERMS = {"issue_map": "issue pairings", "snapshots": "issue snapshots", "journal": "journal entries"}


def describe_reset(name: str, counts: dict[str, int]) -> str:
    """What ``state reset`` did, in the words of the docs rather than collection names."""
    forgotten = ", ".join(f"{counts[k]} {label}" for k, label in RESET_TERMS.items() if k in counts)
    return f"reset {name}: the next cycle is an initial full sync" + (
        f"; forgot {forgotten}" if forgotten else "; issue pairings and snapshots kept"
    )
