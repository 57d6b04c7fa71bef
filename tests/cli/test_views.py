"""What the CLI shows: plans, cycles, validation results and health, as tables and as JSON."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from jirasync_cli.cli.views import (
    NEW_DEV_ISSUE,
    cycle_table,
    health_table,
    plan_rows,
    plan_table,
    planned_comment,
    validation_report,
)
from jirasync_cli.config.loader import load_config_dir
from jirasync_cli.jira.models import CommentData
from jirasync_cli.sync.actions import Note, NoteKind
from jirasync_cli.sync.cycle import CycleReport
from jirasync_cli.sync.plan import (
    AddComment,
    CreateDevIssue,
    CyclePlan,
    DeleteMirror,
    MirrorComment,
    Restriction,
    TransitionIssue,
    UnitPlan,
)
from tests.conftest import pair_config


def recording() -> Console:
    return Console(file=io.StringIO(), record=True, width=200, force_terminal=False, color_system=None)


def report(units: list[UnitPlan] | None = None, **fields: object) -> CycleReport:
    r = CycleReport(
        pair="sync-ab",
        cycle_id="c1",
        mode="incremental",
        dry_run=True,
        started_at=datetime(2026, 11, 24, 9, tzinfo=UTC),
        **fields,
    )  # type: ignore[arg-type]
    r.plan = CyclePlan(units=units or [], skipped_unchanged=0, ignored=[])
    return r


def comment_action(**extra: object) -> AddComment:
    values = {
        "side": "user",
        "template": "Escalated to ${targetKey} (${sourceStatus}, ${pair}) ${unknown}",
        "rule_id": "create-dev",
        "event": "e1",
        "source_key": "USER-1",
        "source_status": "Will Do",
        "target_status": None,
        **extra,
    }
    return AddComment(**values)  # type: ignore[arg-type]


def test_a_planned_comment_reads_as_it_will_be_posted_with_a_placeholder_for_the_new_issue():
    create = CreateDevIssue("create-dev", "Bug", {"summary": "Login fails"}, "h", link=True)
    unit = UnitPlan("USER-1", None, None, actions=[create, comment_action()])
    assert planned_comment(comment_action(), unit, "sync-ab") == (
        f"Escalated to {NEW_DEV_ISSUE} (Will Do, sync-ab) ${{unknown}}"
    )
    mapped = UnitPlan("USER-1", "DEV-9", None, actions=[comment_action()])
    assert planned_comment(comment_action(), mapped, "sync-ab") == "Escalated to DEV-9 (Will Do, sync-ab) ${unknown}"


def test_plan_rows_describe_each_action_in_user_terms():
    comment = CommentData("10", "acc-dan", "Dan Okafor", "root cause found", "t", "t")
    units = [
        UnitPlan(
            "USER-1",
            None,
            None,
            actions=[CreateDevIssue("create-dev", "Bug", {"summary": "Login fails"}, "h", link=True), comment_action()],
        ),
        UnitPlan(
            "USER-2",
            "DEV-2",
            None,
            notes=[Note(NoteKind.PARTNER_GONE, "waiting for the search to catch up")],
            actions=[
                TransitionIssue("user", "Resolved", "dev-done", "e", "DEV-2", "Done", "In Progress", "USER", "Bug"),
                MirrorComment("user", "DEV-2", comment, restriction=Restriction(internal=True)),
                DeleteMirror("user", "DEV-2", "11", "12", "deleted"),
            ],
        ),
    ]
    rows = plan_rows(report(units))
    assert [(r["user"], r["dev"], r["action"], r["detail"]) for r in rows] == [
        ("USER-1", None, "create_issue", "Bug 'Login fails' + link"),
        (
            "USER-1",
            None,
            "comment",
            f"on user issue: 'Escalated to {NEW_DEV_ISSUE} (Will Do, sync-ab) ${{unknown}}' (rule create-dev)",
        ),
        ("USER-2", "DEV-2", "transition", "user issue → Resolved (rule dev-done)"),
        ("USER-2", "DEV-2", "mirror_comment", "DEV-2 comment 10 by Dan Okafor → user as an internal note"),
        ("USER-2", "DEV-2", "delete_mirror", "remove the copy of DEV-2 comment 11 (deleted)"),
        ("USER-2", "DEV-2", "note", "waiting for the search to catch up"),
    ]


def test_a_plan_table_escapes_what_jira_users_typed():
    create = CreateDevIssue("create-dev", "Bug", {"summary": "[red]not markup[/red]"}, "h", link=False)
    console = recording()
    plan_table(report([UnitPlan("USER-1", None, None, actions=[create])]), console)
    text = console.export_text()
    assert "sync-ab: plan (incremental, dry run: nothing written)" in text
    assert "Bug '[red]not markup[/red]'" in text


def test_an_empty_plan_says_there_is_nothing_to_do():
    console = recording()
    plan_table(report([], issues_seen=4), console)
    assert console.export_text().strip() == "sync-ab: nothing to do (4 issue(s) seen)"


def test_a_cycle_table_counts_actions_and_lists_what_went_wrong():
    from collections import Counter

    r = report(
        actions=Counter({"create_issue": 2, "comment": 1}),
        created=[("USER-1", "DEV-1")],
        errors=["USER-3: Jira refused the transition"],
        unhandled=["USER-4 moved to Waiting"],
    )
    r.dry_run = False
    console = recording()
    cycle_table(r, console)
    text = console.export_text()
    assert "sync-ab: incremental" in text and "dry run" not in text
    assert "│ create issue │     2 │" in text and "│ comment      │     1 │" in text
    assert "created DEV-1 for USER-1" in text
    assert "error USER-3: Jira refused the transition" in text
    assert "1 issue(s) moved to a status no rule handles (--show-unhandled lists them)" in text
    console = recording()
    cycle_table(r, console, show_unhandled=True)
    assert "USER-4 moved to Waiting" in console.export_text()


def write(directory: Path, name: str, text: str) -> None:
    directory.mkdir(exist_ok=True)
    (directory / name).write_text(text)


def test_the_validation_report_lists_valid_configs_invalid_files_and_why(tmp_path, monkeypatch):
    import json

    monkeypatch.setenv("JIRA_API_TOKEN", "t")
    write(tmp_path / "c", "sync-ab.json", json.dumps(pair_config()))
    write(tmp_path / "c", "sync-bad.json", "{not json")
    doc = validation_report(load_config_dir(tmp_path / "c"))
    assert doc["ok"] is False and doc["error"] is None
    assert [(v["file"], v["name"], v["userProjectKey"], v["devProjectKey"], v["rules"]) for v in doc["valid"]] == [
        ("sync-ab.json", "sync-ab", "USER", "DEV", 2)
    ]
    assert doc["invalid"] == ["sync-bad.json"] and doc["problems"][0]["file"] == "sync-bad.json"


def test_the_validation_report_says_why_nothing_was_checked(tmp_path):
    assert validation_report(load_config_dir(tmp_path / "nowhere"))["error"] == (
        f"config directory {tmp_path / 'nowhere'} does not exist"
    )
    (tmp_path / "empty").mkdir()
    assert validation_report(load_config_dir(tmp_path / "empty"))["error"] == (
        f"no sync-*.json files in {tmp_path / 'empty'}"
    )


def test_the_health_table_shows_each_worker_and_every_error():
    doc = {
        "status": "degraded",
        "errors": ["sync-cd: MongoDB is unreachable"],
        "workers": [
            {
                "name": "sync-ab",
                "state": "running",
                "pid": 4711,
                "restarts": 2,
                "last_heartbeat": "2026-11-24T09:00:00",
                "last_cycle": {"result": "ok"},
                "rss_bytes": 42e6,
                "error": None,
            },
            {"name": "sync-[cd]", "state": "backoff", "pid": None, "restarts": 0, "error": "boom"},
        ],
    }
    console = recording()
    health_table(doc, console)
    text = console.export_text()
    assert text.startswith("status: degraded")
    assert "sync-ab" in text and "4711" in text and "42 MB" in text and "ok" in text
    assert "sync-[cd]" in text and "boom" in text
    assert "✗ sync-cd: MongoDB is unreachable" in text
