"""``jirasync check``: ask the pair's Jira what it allows (screens, transitions, fields)."""

from __future__ import annotations

from typing import Annotated

import typer

from jirasync_cli.cli import render
from jirasync_cli.cli.app import ConfigDirOption, JsonOption, app, config_dir_of
from jirasync_cli.errors import JirasyncError


@app.command("check")
def check(
    name: Annotated[str, typer.Argument(help="Pair name (or its file, e.g. sync-ab.json)")],
    config_dir: ConfigDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Ask the pair's Jira what it allows: exit 0 if all good, 1 if problems found, 2 if it cannot tell."""
    from jirasync_cli.jira import connect
    from jirasync_cli.jira.client import JiraClient
    from jirasync_cli.jira.crosssite import CrossSiteJira
    from jirasync_cli.jira.errors import JiraApiError
    from jirasync_cli.runtime.wiring import connect_sites, find_config
    from jirasync_cli.sync.site_check import report, run_checks

    try:
        config = find_config(config_dir_of(config_dir), name)
    except JirasyncError as exc:
        raise JirasyncError(str(exc), exit_code=2) from None
    try:
        client: JiraClient | CrossSiteJira
        if config.cross_site:
            try:
                client = connect_sites(config)
            except JiraApiError:
                raise
            except JirasyncError as exc:  # a site that does not answer (named): nothing can be told
                raise JirasyncError(str(exc), exit_code=2) from None
        else:
            client = connect(config.jira)
        try:
            findings = run_checks(config, client)
        finally:
            client.close()
    except JiraApiError as exc:
        sites = " and ".join(dict.fromkeys((config.user_site.base_url, config.dev_site.base_url)))
        raise JirasyncError(f"{config.name}: cannot check {sites}: {exc}", exit_code=2) from None
    if as_json:
        render.print_json(report(config, findings))
    else:
        for finding in findings:
            render.console.print(finding.line(), markup=False, highlight=False)
        if not findings:
            render.console.print(f"{config.name}: the site allows everything the config needs", markup=False)
    raise typer.Exit(1 if findings else 0)
