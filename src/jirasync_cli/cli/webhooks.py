"""``jirasync webhooks register|unregister|list``: a pair's admin webhook on its Jira site."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from jirasync_cli.cli.app import ConfigDirOption as ConfigDir
from jirasync_cli.cli.app import JsonOption as Json
from jirasync_cli.cli.app import app as root_app
from jirasync_cli.errors import JirasyncError

app = typer.Typer(
    name="webhooks", help="Register the Jira webhooks that make pairs sync within seconds.", no_args_is_help=True
)
root_app.add_typer(app, name="webhooks")


def _pair(pair: str, config_dir: Path | None) -> tuple[Any, Any]:
    from jirasync_cli.runtime.wiring import find_config
    from jirasync_cli.settings import get_settings

    settings = get_settings()
    return find_config(config_dir or settings.config_dir, pair), settings


def _admin(site: Any) -> Any:
    from jirasync_cli.jira import connect
    from jirasync_cli.webhooks.admin import Admin

    return Admin(connect(site, pool_size=2))


def _targets(config: Any) -> list[tuple[Any, tuple[str, str]]]:
    """Each site of the pair with the project keys its webhook filters on: one site and both
    projects, or (a cross-site pair) each site with its own project."""
    if not config.cross_site:
        return [(config.jira, (config.user_project_key, config.dev_project_key))]
    return [(config.user_site, (config.user_project_key,) * 2), (config.dev_site, (config.dev_project_key,) * 2)]


def _denied(exc: JirasyncError) -> bool:
    return getattr(exc, "status", None) in (401, 403, 404)


@app.command("register")
def register(
    pair: Annotated[str, typer.Argument(help="Pair name (its sync-*.json)")],
    url: Annotated[
        str,
        typer.Option(
            "--url",
            help="Public base URL Jira reaches the supervisor's health port at, e.g. https://jirasync.example.com",
        ),
    ],
    config_dir: ConfigDir = None,
    manual: Annotated[bool, typer.Option("--manual", help="Only print what to enter in Jira's admin pages")] = False,
    json_out: Json = False,
) -> None:
    """Create (or update) the pair's webhook on its Jira site, signed with $JIRASYNC_WEBHOOK_SECRET."""
    from jirasync_cli.webhooks import admin

    if not url.startswith(("http://", "https://")):
        raise JirasyncError(f"--url {url!r}: must be an http(s) URL", exit_code=2)
    config, settings = _pair(pair, config_dir)
    targets = _targets(config)
    if manual:
        for _site, keys in targets:
            print("\n".join(admin.manual_steps(config.name, *keys, url, None)))
        return
    if settings.webhook_secret is None:
        raise JirasyncError(
            "JIRASYNC_WEBHOOK_SECRET is not set: set the same secret here and in the supervisor's "
            "environment (unsigned webhooks could be forged)",
            exit_code=2,
        )
    secret = settings.webhook_secret
    done = []
    for site, keys in targets:
        hooks = _admin(site)
        try:
            outcome, hook = hooks.register(admin.body(config.name, *keys, url, secret))
        except JirasyncError as exc:
            if not _denied(exc):
                raise
            steps = admin.manual_steps(config.name, *keys, url, hooks.is_cloud)
            raise JirasyncError(
                f"{site.base_url} did not let this account register webhooks ({exc}); a Jira "
                "administrator can enter it by hand:\n" + "\n".join(steps)
            ) from None
        done.append((site, keys, outcome, hook))
    if json_out:
        docs = [
            {
                "outcome": outcome,
                "id": admin.webhook_id(hook or {}),
                "url": admin.receiver_url(url, config.name),
                **({"site": site.base_url} if config.cross_site else {}),
            }
            for site, _keys, outcome, hook in done
        ]
        print(json.dumps(docs if config.cross_site else docs[0]))
    else:
        for site, keys, outcome, hook in done:
            print(
                f"{outcome} webhook {admin.webhook_id(hook or {})} on {site.base_url} for {config.name}: "
                f"{admin.jql_filter(*keys)} -> {admin.receiver_url(url, config.name)}"
            )
        if not getattr(config.webhooks, "enabled", False):
            print(f"note: webhooks.enabled is false in {config.name}'s config: the supervisor ignores its events")


@app.command("unregister")
def unregister(
    pair: Annotated[str, typer.Argument(help="Pair name")], config_dir: ConfigDir = None, json_out: Json = False
) -> None:
    """Remove the pair's webhook from its Jira site (polling goes on)."""
    from jirasync_cli.webhooks import admin

    config, _ = _pair(pair, config_dir)
    removed: list[str] = []
    for site, _keys in _targets(config):
        gone = _admin(site).unregister(admin.name_of(config.name))
        removed += gone
        if not json_out:
            print(f"removed {len(gone)} webhook(s) of {config.name} from {site.base_url}")
    if json_out:
        print(json.dumps({"removed": removed}))


@app.command("list")
def list_(
    pair: Annotated[str, typer.Argument(help="Pair name: lists the webhooks of its Jira site")],
    config_dir: ConfigDir = None,
    json_out: Json = False,
) -> None:
    """The admin webhooks of the pair's Jira site; ``*`` marks the pair's own."""
    from jirasync_cli.webhooks import admin

    config, _ = _pair(pair, config_dir)
    mine = admin.name_of(config.name)
    rows: list[dict[str, Any]] = []
    for site, _keys in _targets(config):
        hooks = _admin(site).registered()
        rows += [
            {
                "id": admin.webhook_id(h),
                "name": h.get("name"),
                "url": h.get("url"),
                "events": h.get("events"),
                "jql": (h.get("filters") or {}).get(admin.FILTER_KEY),
                "enabled": h.get("enabled"),
                "ours": h.get("name") == mine,
                **({"site": site.base_url} if config.cross_site else {}),
            }
            for h in hooks
        ]
        if not json_out and not hooks:
            print(f"no webhooks on {site.base_url}")
    if json_out:
        print(json.dumps(rows))
        return
    for h in rows:
        flag = "*" if h["ours"] else " "
        print(
            f"{flag} {h['id']:>5}  {h['name']}  {h['url']}  [{h['jql'] or 'all issues'}]"
            + (f"  ({h['site']})" if "site" in h else "")
        )
