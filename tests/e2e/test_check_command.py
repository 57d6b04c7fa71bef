"""``jirasync check``: over HTTP against the emulator, Cloud and Data Center."""

from __future__ import annotations

import json
import socket

from jirasync_cli.sync.site_check import CHECKS
from tests.helpers import BOT_TOKEN, sync_config, write_config


def check(cli, tmp_path, emu, **overrides):
    doc = sync_config("sync-ab", emu.url if emu else "http://127.0.0.1:9", **overrides)
    write_config(tmp_path / "config", doc)
    result = cli.run("check", "sync-ab", "-c", str(tmp_path / "config"), "--json")
    return result.exit_code, (json.loads(result.stdout) if result.exit_code in (0, 1) else result.output)


def test_all_good_when_the_screen_has_every_field(cli, tmp_path, emu):
    emu.set_screens("all", project="DEV")
    code, out = check(cli, tmp_path, emu)
    assert (code, out["ok"], out["findings"]) == (0, True, [])


def test_each_gap_is_one_line_naming_pair_project_subject_and_fix(cli, tmp_path, emu):
    emu.set_screens("minimal", project="DEV")
    rules = sync_config("x", emu.url)["rules"]
    rules[0]["sourceStatus"] = "Escalated"  # no such status in USER's workflow
    jira = {"baseUrl": emu.url, "email": "bot@example.com", "apiToken": BOT_TOKEN, "linkType": "Depends"}
    code, out = check(cli, tmp_path, emu, rules=rules, jira=jira)
    assert code == 1 and not out["ok"]
    got = {(f["project"], f["subject"]) for f in out["findings"]}
    assert got == {
        ("DEV", "description"),
        ("DEV", "priority"),
        ("DEV", "labels"),
        ("DEV", "issuelinks"),
        (None, "link type Depends"),
        ("USER", "status 'Escalated'"),
    }
    lines = [f["line"] for f in out["findings"]]
    assert all(line.startswith(("sync-ab DEV: ", "sync-ab USER: ", "sync-ab: ")) for line in lines)
    assert any("set jira.linkType to one of: Blocks, Cloners, Duplicate, Relates" in line for line in lines)
    assert any("rule create-dev sourceStatus is no status of USER's workflows" in line for line in lines)
    assert BOT_TOKEN not in json.dumps(out)


def test_missing_project_and_issue_type(cli, tmp_path, emu):
    code, out = check(cli, tmp_path, emu, devProjectKey="NOPE")
    assert code == 1
    assert [(f["project"], f["subject"]) for f in out["findings"]] == [("NOPE", "project")]
    code, out = check(cli, tmp_path, emu, devIssueType="Sub-task")
    assert code == 1 and out["findings"][0]["subject"] == "issue type Sub-task"


def test_text_output_and_exit_2_when_jira_cannot_be_reached(cli, tmp_path, emu):
    emu.set_screens("all", project="DEV")
    doc = sync_config("sync-ab", emu.url)
    write_config(tmp_path / "config", doc)
    ok = cli.run("check", "sync-ab", "-c", str(tmp_path / "config"))
    assert ok.exit_code == 0 and "allows everything" in ok.output
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    write_config(tmp_path / "config", sync_config("sync-ab", f"http://127.0.0.1:{port}"))
    down = cli.run("check", "sync-ab", "-c", str(tmp_path / "config"))
    assert down.exit_code == 2 and "cannot" in down.output and BOT_TOKEN not in down.output
    assert "Traceback" not in down.output
    missing = cli.run("check", "sync-zz", "-c", str(tmp_path / "config"))
    assert missing.exit_code == 2 and "no valid config named" in missing.output


def test_checks_are_independent_functions():
    assert [c.__name__ for c in CHECKS] == [
        "check_projects",
        "check_create_screen",
        "check_link_type",
        "check_rule_statuses",
        "check_transition_screens",
    ]


def test_transition_screens_asking_for_what_the_sync_cannot_give(cli, tmp_path, emu):
    from dataclasses import replace

    from jirasync_cli.emulator import Workflow
    from jirasync_cli.emulator.workflow import RESOLUTION_SCREEN, ScreenField

    emu.set_screens("all", project="DEV")
    workflow = Workflow.user_default()
    root_cause = ScreenField("customfield_10100", "Root cause", required=True)
    workflow.transitions = [
        replace(t, screen=(*RESOLUTION_SCREEN, root_cause)) if t.to == "Resolved" else t for t in workflow.transitions
    ]
    emu.add_project("HELP", name="Help desk", workflow=workflow)
    emu.create_issue("HELP", summary="sample", as_account="bob")
    code, out = check(cli, tmp_path, emu, userProjectKey="HELP")
    assert code == 1
    (finding,) = out["findings"]
    assert finding["project"] == "HELP" and finding["subject"] == "transition to 'Resolved'"
    assert "Root cause (customfield_10100)" in finding["line"] and "dev-done" in finding["line"]

    # The user project's own screen needs only a resolution: filled by default, or by the rule.
    code, out = check(cli, tmp_path, emu)
    assert (code, out["findings"]) == (0, [])
    emu.create_issue("USER", summary="sample", as_account="bob")
    rules = sync_config("x", emu.url)["rules"]
    rules[2]["resolution"] = "Nonsense"
    code, out = check(cli, tmp_path, emu, rules=rules)
    assert code == 1 and "cannot set resolution 'Nonsense'" in out["findings"][0]["line"]
