"""One pair's cycles end to end: real HTTP to the emulator through the jira package, state
in a real wire-protocol MongoDB server."""

from __future__ import annotations

import logging
from collections import Counter

from jirasync_cli.jira.models import SOURCE_PROPERTY
from tests.fixtures.pair import Pair, make_pair
from tests.helpers import plain as text


def dev_issues(emu):
    return emu.issues("DEV")


def seed(emu, n_trigger=3, n_other=2):
    trigger = []
    for i in range(n_trigger):
        key = emu.create_issue(
            "USER",
            summary=f"Customer problem {i}",
            description=f"Details {i}",
            priority="High",
            labels=["vip"],
            as_account="alice",
        )
        emu.transition(key, "Will Do", as_account="alice")
        trigger.append(key)
    others = [emu.create_issue("USER", summary=f"Question {i}", as_account="bob") for i in range(n_other)]
    return trigger, others


def test_initial_sync_creates_exactly_the_expected_dev_issues(pair: Pair, caplog):
    emu = pair.emu
    trigger, others = seed(emu)
    caplog.set_level(logging.INFO)
    report = pair.cycle()
    assert report.mode == "full" and report.errors == []
    assert "Running initial full sync" in caplog.text and "Initial sync completed" in caplog.text
    devs = dev_issues(emu)
    assert len(devs) == 3
    by_source = {}
    for dev in devs:
        source = dev["properties"][SOURCE_PROPERTY]
        by_source[source["userKey"]] = dev
        assert source["pair"] == "sync-ab"
    assert sorted(by_source) == sorted(trigger)
    for user_key, dev in by_source.items():
        user = emu.issue(user_key)
        assert dev["summary"] == user["summary"] and dev["priority"] == "High" and dev["labels"] == ["vip"]
        assert text(dev["description"]) == text(user["description"])
        assert any(link["key"] == user_key for link in dev["links"]), "created with a link back"
        comments = [text(c["body"]) for c in emu.comments(user_key)]
        assert comments == [f"Escalated to engineering as {dev['key']}."]
    for key in others:
        assert emu.comments(key) == []
    state = pair.store().load_state()
    assert state.initial_sync_completed and state.last_sync is not None


def test_second_run_changes_nothing_and_sends_no_writes(pair: Pair):
    seed(pair.emu)
    pair.cycle()
    pair.emu.clear_request_log()
    report = pair.cycle()
    assert report.mode == "incremental" and sum(report.actions.values()) == 0
    assert pair.writes() == []
    pair.emu.clear_request_log()
    pair.cycle()
    assert pair.writes() == []
    searches = [e for e in pair.emu.request_log if "search" in e.path]
    assert len(searches) == 1


def test_status_flows_back_per_rules(pair: Pair):
    emu = pair.emu
    (user_key,), _ = seed(emu, 1, 0)
    pair.cycle()
    dev_key = dev_issues(emu)[0]["key"]
    emu.transition(dev_key, "In Progress", as_account="dan")
    pair.cycle()
    assert emu.issue(user_key)["status"] == "In Progress"
    emu.transition(dev_key, "In Review", as_account="dan")
    report = pair.cycle()
    assert any("unhandled" in u for u in report.unhandled)
    emu.transition(dev_key, "Done", as_account="dan")
    pair.cycle()
    assert emu.issue(user_key)["status"] == "Resolved"
    assert text(emu.comments(user_key)[-1]["body"]) == f"Fixed in {dev_key}."
    emu.clear_request_log()
    pair.cycle()
    pair.cycle()
    assert pair.writes() == [], "our own transition must not echo back"


def test_comments_mirror_both_ways_without_echo(pair: Pair):
    emu = pair.emu
    (user_key,), _ = seed(emu, 1, 0)
    pair.cycle()
    dev_key = dev_issues(emu)[0]["key"]
    emu.add_comment(user_key, "It still fails on Safari.", as_account="bob")
    emu.add_comment(dev_key, "Reproduced, fixing.", as_account="dan")
    pair.cycle()
    dev_comments = [text(c["body"]) for c in emu.comments(dev_key)]
    user_comments = [text(c["body"]) for c in emu.comments(user_key)]
    assert dev_comments == ["Reproduced, fixing.", "Bob Lindqvist wrote:\nIt still fails on Safari."]
    assert user_comments == [
        f"Escalated to engineering as {dev_key}.",
        "It still fails on Safari.",
        "Dan Okafor wrote:\nReproduced, fixing.",
    ]
    for _ in range(3):
        pair.cycle()
    assert len(emu.comments(dev_key)) == 2 and len(emu.comments(user_key)) == 3
    # An edit of the source updates the copy instead of adding one.
    cid = emu.comments(user_key)[1]["id"]
    emu.edit_comment(user_key, cid, "It still fails on Safari 17.", as_account="bob")
    pair.cycle()
    assert [text(c["body"]) for c in emu.comments(dev_key)][1:] == [
        "Bob Lindqvist wrote:\nIt still fails on Safari 17."
    ]


def test_user_field_edits_update_the_dev_copy(pair: Pair):
    emu = pair.emu
    (user_key,), _ = seed(emu, 1, 0)
    pair.cycle()
    dev_key = dev_issues(emu)[0]["key"]
    emu.edit(user_key, {"summary": "Checkout fails for EU cards", "labels": ["vip", "payments"]}, as_account="alice")
    pair.cycle()
    dev = emu.issue(dev_key)
    assert dev["summary"] == "Checkout fails for EU cards" and sorted(dev["labels"]) == ["payments", "vip"]
    emu.clear_request_log()
    pair.cycle()
    assert pair.writes() == []


def test_state_lost_branch_uses_current_time(pair: Pair, caplog):
    emu = pair.emu
    seed(emu, 1, 0)
    pair.cycle()
    store = pair.store()
    store.db.sync_state.update_one({"_id": "state"}, {"$unset": {"last_sync": ""}})
    late = emu.create_issue("USER", summary="Moved while state was lost", as_account="alice")
    emu.transition(late, "Will Do", as_account="alice")
    emu.advance(180)  # the incremental window starts after this change
    caplog.set_level(logging.INFO)
    report = pair.cycle()
    assert "Last sync state lost, using current time for incremental sync" in caplog.text
    assert report.mode == "incremental" and report.created == []
    assert len(dev_issues(emu)) == 1, "no full resync"


def test_initial_sync_disabled_starts_incremental_from_now(emu, mongo_url, tmp_path):
    pair = make_pair(emu, mongo_url, tmp_path, initialSyncEnabled=False)
    old, _ = seed(emu, 2, 0)
    emu.advance(180)
    report = pair.cycle()
    assert report.mode == "incremental" and dev_issues(emu) == []
    new = emu.create_issue("USER", summary="New", as_account="alice")
    emu.transition(new, "Will Do", as_account="alice")
    pair.cycle()
    assert [d["properties"][SOURCE_PROPERTY]["userKey"] for d in dev_issues(emu)] == [new]


def test_two_pairs_keep_to_their_own_databases(emu, mongo_url, tmp_path):
    from jirasync_cli.emulator import Workflow

    emu.add_project("CS", name="Customer Success", workflow=Workflow.user_default())
    emu.add_project("BILL", name="Billing", workflow=Workflow.dev_default())
    a = make_pair(emu, mongo_url, tmp_path / "a", name="sync-ab")
    b = make_pair(emu, mongo_url, tmp_path / "b", name="sync-cd", user="CS", dev="BILL")
    ka = emu.create_issue("USER", summary="A", as_account="alice")
    kb = emu.create_issue("CS", summary="B", as_account="alice")
    emu.transition(ka, "Will Do", as_account="alice")
    emu.transition(kb, "Will Do", as_account="alice")
    a.cycle()
    b.cycle()
    assert {m["_id"] for m in a.store().db.issue_map.find()} == {ka}
    assert {m["_id"] for m in b.store().db.issue_map.find()} == {kb}
    assert len(emu.issues("DEV")) == 1 and len(emu.issues("BILL")) == 1
    assert a.config.db_name != b.config.db_name
    assert set(a.store().db.snapshots.distinct("_id")) <= {ka, emu.issues("DEV")[0]["key"]}


def test_dry_run_writes_nothing(pair: Pair):
    seed(pair.emu)
    pair.emu.clear_request_log()
    report = pair.cycle(dry_run=True)
    assert Counter(report.actions) == Counter({"create_issue": 3, "comment": 3})
    assert pair.writes() == [] and dev_issues(pair.emu) == []
    store = pair.store()
    assert store.load_state().last_sync is None
    assert store.db.issue_map.count_documents({}) == 0 and store.db.snapshots.count_documents({}) == 0


def test_lost_create_response_is_not_duplicated(pair: Pair):
    emu = pair.emu
    (user_key,), _ = seed(emu, 1, 0)
    emu.faults.fail_next("POST", r"/rest/api/\d/issue$", status=502, after_apply=True)
    report = pair.cycle()
    assert report.errors, "the lost response surfaces as an error this cycle"
    assert len(dev_issues(emu)) == 1
    report = pair.cycle()
    assert report.errors == []
    assert len(dev_issues(emu)) == 1, "retry found the issue instead of creating a second one"
    assert len(emu.comments(user_key)) == 1


def test_a_failing_issue_is_retried_and_a_deleted_one_does_not_wedge_the_pair(pair: Pair):
    emu = pair.emu
    (user_key,), _ = seed(emu, 1, 0)
    pair.cycle()
    dev_key = dev_issues(emu)[0]["key"]
    emu.transition(user_key, "Resolved", as_account="alice")  # Resolved -> In Progress: no transition
    pair.cycle()
    emu.transition(dev_key, "In Progress", as_account="dan")
    report = pair.cycle()
    assert report.errors and "no transition reaches status 'In Progress'" in report.errors[0]
    assert user_key in pair.store().load_state().retry_keys
    emu.advance(600)  # long after: only the retry list brings the issue back
    report = pair.cycle()
    assert report.errors, "retried (and still failing)"
    emu.delete_issue(user_key)
    emu.delete_issue(dev_key)
    report = pair.cycle()
    assert report.errors == [] and pair.store().load_state().retry_keys == {}


def test_state_show_reports_counters_and_history(pair: Pair, cli):
    (user_key,), _ = seed(pair.emu, 1, 0)
    pair.cycle()
    pair.cycle()
    env = {"JIRASYNC_MONGODB_URL": pair.settings.mongodb_url, "JIRASYNC_CONFIG_DIR": str(pair.config_dir)}
    result = cli.run("state", "show", "sync-ab", "--json", env=env)
    assert result.exit_code == 0, result.output
    doc = __import__("json").loads(result.stdout)
    requests = {
        k.removeprefix("jira_requests_"): v for k, v in doc["counters"].items() if k.startswith("jira_requests_")
    }
    assert {k: v for k, v in doc["counters"].items() if not k.startswith("jira_requests_")} == {
        "cycles": 2,
        "create_issue": 1,
        "comment": 1,
    }
    assert requests["search"] == 2 and requests["create"] == 1 and requests["comment"] >= 1
    assert doc["lastCycle"]["requestsByKind"]["search"] == 1
    assert doc["initialSyncCompleted"] and doc["mappings"] == {"linked": 1, "pending": 0, "failed": 0}
    result = cli.run("state", "show", "sync-ab", "--issue", user_key, env=env)
    assert result.exit_code == 0 and "create_issue" in result.stdout and "DEV-1" in result.stdout
    table = cli.run("state", "show", env=env)
    line = " ".join(table.stdout.split())
    assert "since the last reset: comment 1, create issue 1, cycles 2, jira requests comment 1," in line
    assert "jira requests search 2" in line


def test_comments_on_the_user_issue_without_a_partner_are_posted_not_deferred(emu, mongo_url, tmp_path):
    """commentOn source or user needs no dev issue: what the dry run plans, the real run
    posts, once (it used to be deferred "no dev issue yet" every cycle, forever)."""
    rules = [
        {
            "id": "ack",
            "sourceStatus": "Will Do",
            "syncDirection": "user_to_dev",
            "actions": {"addComment": True, "commentOn": "source", "commentTemplate": "Seen ${sourceKey}."},
        },
        {
            "id": "wait",
            "sourceStatus": "Waiting for Customer",
            "syncDirection": "user_to_dev",
            "actions": {"addComment": True, "commentOn": "user", "commentTemplate": "Waiting: ${sourceStatus}."},
        },
    ]
    pair = make_pair(emu, mongo_url, tmp_path, rules=rules)
    (user_key,), _ = seed(emu, 1, 0)
    assert pair.cycle(dry_run=True).actions == {"comment": 1}
    report = pair.cycle()
    assert (report.errors, report.deferred, report.actions) == ([], [], {"comment": 1})
    emu.transition(user_key, "Waiting for Customer", as_account="alice")
    report = pair.cycle()
    assert (report.errors, report.deferred, report.actions) == ([], [], {"comment": 1})
    assert [text(c["body"]) for c in emu.comments(user_key)] == [f"Seen {user_key}.", "Waiting: Waiting for Customer."]
    assert pair.store().load_state().retry_keys == {} and dev_issues(emu) == []
    assert pair.cycle().actions == {}, "each posted once"


def test_cycle_report_counts_every_request_it_sent_by_kind(pair: Pair):
    emu = pair.emu
    seed(emu, 3, 0)
    emu.faults.fail_next("POST", r"/search", status=503)  # a retried request is counted too
    emu.faults.fail_next("GET", r"/search", status=503)
    emu.clear_request_log()
    report = pair.cycle()
    sent = [e for e in emu.request_log if not e.path.endswith(("/serverInfo", "/myself"))]  # connect, before the cycle
    summary = report.summary()
    assert summary["jiraRequests"] == len(sent) == sum(summary["requestsByKind"].values())
    kinds = summary["requestsByKind"]
    assert kinds["search"] == len([e for e in sent if "/search" in e.path]) >= 2
    assert kinds["create"] == len([e for e in sent if e.method == "POST" and e.path.endswith("/issue")]) == 3
