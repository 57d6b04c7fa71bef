"""Which rule handles a status change: direction, status, priority, initial sync, conditions;
and how a comment template is filled."""

from __future__ import annotations

from typing import Any

from jirasync_cli.config import PairConfig
from jirasync_cli.config.models import SyncPairConfig
from jirasync_cli.jira.models import IssueData
from jirasync_cli.sync.rules import match_rule, render_template
from tests.helpers import sync_config


def issue(
    status: str,
    *,
    key: str = "USER-1",
    issuetype: str = "Bug",
    priority: str | None = "High",
    labels: tuple[str, ...] = (),
) -> IssueData:
    return IssueData(
        id="1",
        key=key,
        project=key.split("-")[0],
        status=status,
        summary="s",
        description=None,
        priority=priority,
        labels=labels,
        issuetype=issuetype,
        created="2026-11-24T09:00:00.000+0000",
        updated="2026-11-24T09:00:00.000+0000",
    )


def config(*rules: dict[str, Any]) -> PairConfig:
    return SyncPairConfig.model_validate(
        sync_config("sync-ab", "https://jira.example", rules=list(rules))
    ).to_pair_config()


def rule(rule_id: str, status: str, direction: str = "user_to_dev", **extra: Any) -> dict[str, Any]:
    return {
        "id": rule_id,
        "sourceStatus": status,
        "syncDirection": direction,
        "actions": {"addComment": True, "commentTemplate": "x"},
        **extra,
    }


def matched(cfg: PairConfig, side: str, data: IssueData, initial: bool = False) -> str | None:
    found = match_rule(cfg, side, data, initial=initial)
    return found.id if found else None


def test_a_rule_fires_only_for_changes_on_the_side_its_direction_names():
    cfg = config(
        rule("up", "Will Do", "user_to_dev"), rule("down", "Done", "dev_to_user"), rule("any", "Blocked", "both")
    )
    assert matched(cfg, "user", issue("Will Do")) == "up"
    assert matched(cfg, "dev", issue("Will Do", key="DEV-1")) is None
    assert matched(cfg, "dev", issue("Done", key="DEV-1")) == "down"
    assert matched(cfg, "user", issue("Done")) is None
    assert matched(cfg, "user", issue("Blocked")) == "any" and matched(cfg, "dev", issue("Blocked")) == "any"


def test_status_names_match_whatever_their_case_and_star_matches_any():
    cfg = config(rule("exact", "Will Do"), rule("star", "*", priority=200))
    assert matched(cfg, "user", issue("WILL DO")) == "exact"
    assert matched(cfg, "user", issue("Waiting for customer")) == "star"


def test_the_lowest_priority_number_wins_then_file_order_and_disabled_rules_never_match():
    cfg = config(
        rule("late", "Will Do", priority=50),
        rule("off", "Will Do", priority=1, enabled=False),
        rule("first", "Will Do", priority=10),
        rule("second", "Will Do", priority=10),
    )
    assert matched(cfg, "user", issue("Will Do")) == "first"


def test_rules_opted_out_of_the_initial_sync_wait_for_a_real_change():
    cfg = config(rule("later", "Will Do", onInitialSync=False), rule("always", "Will Do", priority=200))
    assert matched(cfg, "user", issue("Will Do"), initial=True) == "always"
    assert matched(cfg, "user", issue("Will Do"), initial=False) == "later"


def test_conditions_on_type_priority_and_labels_ignore_case():
    cfg = config(
        rule(
            "bugs",
            "Will Do",
            conditions={
                "issueTypes": ["bug"],
                "priorities": ["high", "highest"],
                "labels": ["Customer", "vip"],
                "excludeLabels": ["wontfix"],
            },
        )
    )
    assert matched(cfg, "user", issue("Will Do", labels=("customer",))) == "bugs"
    assert matched(cfg, "user", issue("Will Do", labels=("VIP", "other"))) == "bugs"
    assert matched(cfg, "user", issue("Will Do", issuetype="Task", labels=("vip",))) is None
    assert matched(cfg, "user", issue("Will Do", priority="Low", labels=("vip",))) is None
    assert matched(cfg, "user", issue("Will Do", priority=None, labels=("vip",))) is None
    assert matched(cfg, "user", issue("Will Do", labels=())) is None, "needs one of the labels"
    assert matched(cfg, "user", issue("Will Do", labels=("vip", "WontFix"))) is None, "an excluded label vetoes"


def test_a_rule_whose_conditions_fail_lets_the_next_one_match():
    cfg = config(rule("vip", "Will Do", priority=1, conditions={"labels": ["vip"]}), rule("rest", "Will Do"))
    assert matched(cfg, "user", issue("Will Do", labels=("vip",))) == "vip"
    assert matched(cfg, "user", issue("Will Do")) == "rest"


def test_templates_fill_known_placeholders_and_leave_the_rest_as_written():
    text = "Escalated to ${targetKey} (rule ${ruleId}); ${unknown} and $targetKey and ${} stay"
    assert render_template(text, {"targetKey": "DEV-7", "ruleId": "create-dev"}) == (
        "Escalated to DEV-7 (rule create-dev); ${unknown} and $targetKey and ${} stay"
    )
    assert render_template("${a}${a}", {"a": "${b}", "b": "no"}) == "${b}${b}", "one pass: values are not expanded"


def test_a_rule_may_name_a_status_in_the_other_projects_words_through_the_statuses_table():
    """A dev site in German shows "In Arbeit": a rule written as "In Progress" still fires
    there when the table says so, and one written in German fires too."""
    doc = sync_config(
        "sync-ab",
        "https://jira.example",
        rules=[rule("started", "In Progress", "dev_to_user"), rule("done", "Erledigt", "dev_to_user")],
    )
    doc["mappings"] = {"statuses": {"In Progress": "In Arbeit"}}
    cfg = SyncPairConfig.model_validate(doc).to_pair_config()
    assert matched(cfg, "dev", issue("In Arbeit", key="DEV-1")) == "started"
    assert matched(cfg, "dev", issue("Erledigt", key="DEV-1")) == "done"
    assert matched(cfg, "dev", issue("In Prüfung", key="DEV-1")) is None
    no_table = config(rule("started", "In Progress", "dev_to_user"))
    assert matched(no_table, "dev", issue("In Arbeit", key="DEV-1")) is None


def test_a_source_status_given_as_an_id_matches_the_issue_in_that_status():
    cfg = config(rule("done", "10001", "dev_to_user"), rule("named", "In Arbeit", "dev_to_user"))
    erledigt = issue("Erledigt", key="DEV-1")
    erledigt.status_id = "10001"
    assert matched(cfg, "dev", erledigt) == "done"
    in_arbeit = issue("In Arbeit", key="DEV-1")
    in_arbeit.status_id = "3"
    assert matched(cfg, "dev", in_arbeit) == "named"
    other = issue("Zu erledigen", key="DEV-1")
    other.status_id = "10000"
    assert matched(cfg, "dev", other) is None
    assert matched(cfg, "dev", issue("Erledigt", key="DEV-1")) is None  # no id known: names only


def test_a_source_status_mapped_to_an_id_matches_through_the_table():
    doc = sync_config("sync-ab", "https://jira.example", rules=[rule("done", "Done", "dev_to_user")])
    doc["mappings"] = {"statuses": {"Done": "10001"}}
    cfg = SyncPairConfig.model_validate(doc).to_pair_config()
    erledigt = issue("Erledigt", key="DEV-1")
    erledigt.status_id = "10001"
    assert matched(cfg, "dev", erledigt) == "done"
