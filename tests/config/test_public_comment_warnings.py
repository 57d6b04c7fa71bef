"""validate-configs explains a config that lets customers read what jirasync writes."""

from __future__ import annotations

import json

from tests.conftest import SECRET_TOKEN, pair_config

ENV = {"JIRA_API_TOKEN": SECRET_TOKEN}


def test_public_comment_settings_are_warned_about_but_valid(cli, write_config):
    doc = pair_config("loud", commentSync={"customerVisibility": "public"})
    doc["rules"][1]["actions"].update({"addComment": True, "commentTemplate": "Fixed", "commentPublic": True})
    directory = write_config("sync-loud.json", doc)
    write_config("sync-quiet.json", pair_config("quiet"))
    result = cli.run("validate-configs", "--config-dir", str(directory), "--json", env=ENV)
    assert result.exit_code == 0
    warnings = json.loads(result.stdout)["warnings"]
    assert [(w["file"], w["message"].split(":")[0]) for w in warnings] == [
        ("sync-loud.json", 'commentSync.customerVisibility is "public"'),
        ("sync-loud.json", "rules[1] (dev-done)"),
    ]
    table = cli.run("validate-configs", "--config-dir", str(directory), env=ENV)
    assert table.exit_code == 0
    assert "sync-loud.json: commentSync.customerVisibility" in table.stdout
    assert "visible to customers" in table.stdout and "sync-quiet.json:" not in table.stdout
