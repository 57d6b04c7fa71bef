"""Cross-site pairs: the user project on one Jira site, the dev project on another, over
real HTTP to two emulators (Cloud and Data Center in each combination), state in MongoDB."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jirasync_cli.config.models import SyncPairConfig
from jirasync_cli.emulator import JiraEmulator
from jirasync_cli.emulator.accounts import default_accounts
from jirasync_cli.emulator.sites import DC_BOT_TOKEN, default_dc_accounts
from jirasync_cli.emulator.workflow import Workflow
from jirasync_cli.settings import Settings
from tests.fixtures.pair import Pair

COMBINATIONS = [("cloud", "server"), ("server", "cloud"), ("cloud", "cloud")]


def _site(mode: str, offset: float, zone: str) -> JiraEmulator:
    accounts = default_accounts() if mode == "cloud" else default_dc_accounts()
    return JiraEmulator(mode=mode, timezone=zone, clock_offset_seconds=offset, accounts=accounts)


def _connection(emu: JiraEmulator) -> dict[str, Any]:
    if emu.mode == "cloud":
        return {"baseUrl": emu.url, "email": "bot@example.com", "apiToken": "emulator-token"}
    return {"baseUrl": emu.url, "authType": "pat", "apiToken": DC_BOT_TOKEN}


def _person(emu: JiraEmulator) -> str:
    return "alice" if emu.mode == "cloud" else "dan"


@pytest.fixture(params=COMBINATIONS, ids=lambda c: f"{c[0]}-user_{c[1]}-dev")
def sites(request: pytest.FixtureRequest) -> Iterator[tuple[JiraEmulator, JiraEmulator]]:
    user_mode, dev_mode = request.param
    user = _site(user_mode, 0.0, "Europe/Berlin").start()
    dev = _site(dev_mode, -97.0, "America/New_York").start()  # its clock 97 s behind, another zone
    try:
        user.add_project("CUS", name="Customer Support", workflow=Workflow.user_default(), lead=_person(user))
        dev.add_project("DEV", name="Entwicklung", workflow=Workflow.dev_german(), lead=_person(dev))
        yield user, dev
    finally:
        user.stop()
        dev.stop()


def cross_config(user: JiraEmulator, dev: JiraEmulator, **overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": "cross",
        "userJira": _connection(user),
        "devJira": _connection(dev),
        "userProjectKey": "CUS",
        "devProjectKey": "DEV",
        "database": f"cross_{uuid.uuid4().hex[:6]}",
        "rules": [
            {
                "id": "create-dev",
                "sourceStatus": "Will Do",
                "syncDirection": "user_to_dev",
                "actions": {
                    "createIssue": True,
                    "addComment": True,
                    "commentOn": "source",
                    "commentTemplate": "*Escalated* to engineering as ${targetKey}: ${summary}",
                },
            },
            # Written in the user project's words: the statuses table names them on the dev site.
            {
                "id": "dev-started",
                "sourceStatus": "In Progress",
                "syncDirection": "dev_to_user",
                "actions": {"syncStatus": True, "targetStatus": "In Progress"},
            },
            {
                "id": "customer-closed",
                "sourceStatus": "Closed",
                "syncDirection": "user_to_dev",
                "actions": {"syncStatus": True, "targetStatus": "Done"},
            },
        ],
        "mappings": {"statuses": {"In Progress": "In Arbeit", "Done": "Erledigt"}},
    }
    doc.update(overrides)
    return doc


@pytest.fixture
def pair(sites: tuple[JiraEmulator, JiraEmulator], mongo_url: str, tmp_path: Path) -> Pair:
    user, _dev = sites
    config = SyncPairConfig.model_validate(cross_config(*sites)).to_pair_config()
    settings = Settings(mongodb_url=mongo_url, config_dir=tmp_path / "config", lease_ttl_seconds=10)
    return Pair(user, config, settings, tmp_path / "config")


def _escalate(user: JiraEmulator, summary: str = "Printer on fire") -> str:  # (no markup in it)
    key = user.create_issue("CUS", summary=summary, description="It *really* burns", as_account=_person(user))
    user.transition(key, "Will Do", as_account=_person(user))
    return key


def _wiki(body: Any) -> str:
    """A description as wiki markup, however the emulator holds it."""
    from jirasync_cli.jira.markup import adf_to_wiki

    return body if isinstance(body, str) else adf_to_wiki(body, lambda ident: ident)


def _text(comment: dict[str, Any]) -> str:
    return str(comment["body"])


def test_the_config_names_two_sites_and_jira_stays_the_shorthand(sites: tuple[JiraEmulator, JiraEmulator]) -> None:
    user, dev = sites
    config = SyncPairConfig.model_validate(cross_config(user, dev)).to_pair_config()
    assert config.cross_site and config.user_site.base_url == user.url and config.dev_site.base_url == dev.url
    one = cross_config(user, dev)
    one["jira"] = one.pop("userJira")
    one.pop("devJira")
    single = SyncPairConfig.model_validate(one).to_pair_config()
    assert not single.cross_site and single.dev_site == single.user_site
    neither = cross_config(user, dev)
    neither.pop("devJira")
    with pytest.raises(ValueError, match="userJira and devJira"):
        SyncPairConfig.model_validate(neither)


def test_create_status_and_comments_both_ways_across_sites(
    pair: Pair, sites: tuple[JiraEmulator, JiraEmulator]
) -> None:
    user, dev = sites
    user_key = _escalate(user)
    first = pair.cycle()
    assert first.mode == "full" and not first.errors, first.errors
    (created,) = dev.issues("DEV")
    dev_key = created["key"]
    assert first.created == [(user_key, dev_key)]
    # The dev issue carries the source property, and each issue a remote link to the other.
    assert dev.issue(dev_key)["properties"]["jirasync.source"]["userKey"] == user_key
    dev_links = dev.issue(dev_key)["remote_links"]
    user_links = user.issue(user_key)["remote_links"]
    assert [link["url"] for link in dev_links] == [f"{user.url}/browse/{user_key}"]
    assert [link["url"] for link in user_links] == [f"{dev.url}/browse/{dev_key}"]
    assert dev_links[0]["globalId"] == user_links[0]["globalId"] == f"jirasync:cross:{user_key}"
    # The description arrives in the dev site's format, bold still bold.
    assert _wiki(dev.issue(dev_key)["description"]) == "It *really* burns"
    # The template is wiki markup on both sites (bold on Cloud too); the summary stays plain text.
    assert _text(user.comments(user_key)[-1]) == f"*Escalated* to engineering as {dev_key}: Printer on fire"

    # Dev -> user status: the German dev site's "In Arbeit" is "In Progress" by the table.
    dev.transition(dev_key, "In Arbeit", as_account=_person(dev))
    report = pair.cycle()
    assert not report.errors, report.errors
    assert user.issue(user_key)["status"] == "In Progress"

    # Comments both ways; our own copies are never mirrored back (each site's bot is known).
    user.add_comment(user_key, "Any news? It *still* burns", as_account=_person(user))
    dev.add_comment(dev_key, "Looking at it with {{lp status}}", as_account=_person(dev))
    report = pair.cycle()
    assert not report.errors, report.errors
    dev_comments = [_text(c) for c in dev.comments(dev_key)]
    user_comments = [_text(c) for c in user.comments(user_key)]
    assert any("It *still* burns" in c and "wrote:" in c for c in dev_comments), dev_comments
    assert any("{{lp status}}" in c and "wrote:" in c for c in user_comments), user_comments
    counts = (len(dev_comments), len(user_comments))
    again = pair.cycle()
    assert not again.errors and (len(dev.comments(dev_key)), len(user.comments(user_key))) == counts

    # Field edits on the user issue reach the dev issue, the description in the dev site's format.
    user.edit(
        user_key,
        {
            "summary": "Printer on fire, second floor",
            "priority": "Highest",
            "description": "Now with *smoke* and _flames_",
        },
        as_account=_person(user),
    )
    report = pair.cycle()
    assert not report.errors, report.errors
    edited = dev.issue(dev_key)
    assert (edited["summary"], edited["priority"]) == ("Printer on fire, second floor", "Highest")
    assert _wiki(edited["description"]) == "Now with *smoke* and _flames_"

    # User -> dev status through the statuses table ("Done" is "Erledigt" on the dev site).
    for status in ("In Progress", "Resolved", "Closed"):
        if user.issue(user_key)["status"] != status:
            user.transition(user_key, status, as_account=_person(user))
    report = pair.cycle()
    assert not report.errors, report.errors
    assert dev.issue(dev_key)["status"] == "Erledigt"


def test_statuses_given_by_id_move_and_match_on_the_german_dev_site(
    mongo_url: str, tmp_path: Path, sites: tuple[JiraEmulator, JiraEmulator]
) -> None:
    user, dev = sites
    doc = cross_config(user, dev)
    # "Done" is the dev site's status 10001 ("Erledigt"), whatever language its bot reads;
    # the dev-to-user rule names the dev site's "In Arbeit" by its id, 3.
    doc["mappings"] = {"statuses": {"Done": "10001"}}
    doc["rules"][1]["sourceStatus"] = "3"
    config = SyncPairConfig.model_validate(doc).to_pair_config()
    pair = Pair(user, config, Settings(mongodb_url=mongo_url, config_dir=tmp_path / "config"), tmp_path / "config")
    user_key = _escalate(user)
    assert not pair.cycle().errors
    (created,) = dev.issues("DEV")
    dev_key = created["key"]

    dev.transition(dev_key, "In Arbeit", as_account=_person(dev))
    report = pair.cycle()
    assert not report.errors, report.errors
    assert user.issue(user_key)["status"] == "In Progress"

    for status in ("Resolved", "Closed"):
        user.transition(user_key, status, as_account=_person(user))
    report = pair.cycle()
    assert not report.errors, report.errors
    assert report.actions["transition"] == 1
    assert dev.issue(dev_key)["status"] == "Erledigt"
    # Recorded by its name: the next cycle sees no change of ours as a person's.
    assert pair.store().snapshots([dev_key])[dev_key].status == "Erledigt"
    again = pair.cycle()
    assert not again.errors and not again.unhandled and again.actions["transition"] == 0


def test_a_bug_becomes_the_dev_type_the_issue_types_table_names(
    mongo_url: str, tmp_path: Path, sites: tuple[JiraEmulator, JiraEmulator]
) -> None:
    user, dev = sites
    doc = cross_config(user, dev, devIssueType="Task")
    doc["mappings"]["issueTypes"] = {"Bug": "Story"}
    config = SyncPairConfig.model_validate(doc).to_pair_config()
    pair = Pair(user, config, Settings(mongodb_url=mongo_url, config_dir=tmp_path / "config"), tmp_path / "config")
    bug = user.create_issue("CUS", summary="Crash on save", issuetype="Bug", as_account=_person(user))
    user.transition(bug, "Will Do", as_account=_person(user))
    task = _escalate(user, "Order more toner")
    report = pair.cycle()
    assert not report.errors, report.errors
    made = {u: dev.issue(d)["issuetype"] for u, d in report.created}
    assert made == {bug: "Story", task: "Task"}  # no entry for Task: devIssueType


def test_an_idle_cycle_costs_one_search_per_site(pair: Pair, sites: tuple[JiraEmulator, JiraEmulator]) -> None:
    from jirasync_cli.runtime.wiring import open_runtime
    from jirasync_cli.sync.cycle import run_cycle

    user, dev = sites
    _escalate(user)
    rt = open_runtime(pair.config, pair.settings)  # one worker's runtime: what it learnt once stays learnt
    try:
        run_cycle(rt)
        run_cycle(rt)
        for site in sites:
            site.clear_request_log()
        report = run_cycle(rt)
    finally:
        rt.jira.close()
    assert report.jira_requests == 2 and report.requests_by_kind == {"search": 2}
    assert len(user.request_log) == 1 and len(dev.request_log) == 1


def test_each_site_keeps_its_own_watermark_by_its_own_clock(
    pair: Pair, sites: tuple[JiraEmulator, JiraEmulator]
) -> None:
    user, dev = sites
    pair.cycle()
    state = pair.store().load_state()
    assert set(state.watermarks) == {"user", "dev"}
    # 97 s apart, as the sites' clocks are (a second or two for the cycle itself)
    assert 90 < (state.watermarks["user"] - state.watermarks["dev"]).total_seconds() < 105
    from jirasync_cli.cli.state_report import pair_state

    shown = pair_state(pair.config, pair.settings)  # what `jirasync state show` prints
    assert set(shown["watermarks"]) == {"user", "dev"} and "T" in shown["watermarks"]["dev"]


def test_lost_state_is_rebuilt_from_the_source_property_on_the_dev_site(
    pair: Pair, sites: tuple[JiraEmulator, JiraEmulator]
) -> None:
    user, dev = sites
    user_key = _escalate(user)
    pair.cycle()
    (created,) = dev.issues("DEV")
    pair.store().reset_state(forget_mappings=True)
    report = pair.cycle()
    assert not report.errors and report.counts()["created"] == 0
    assert len(dev.issues("DEV")) == 1
    assert pair.store().mapping(user_key).dev_key == created["key"]


CROSS_CRASH_POINTS = [
    ("jirasync_cli.jira.client.JiraClient.create_issue", 1, "after"),  # dev issue made, key never recorded
    ("jirasync_cli.jira.client.JiraClient.remote_link", 1, "after"),  # dev -> user link made, not the other
    ("jirasync_cli.jira.client.JiraClient.remote_link", 2, "after"),
    ("jirasync_cli.jira.client.JiraClient.add_comment", 2, "after"),  # a mirrored comment posted
    ("jirasync_cli.jira.client.JiraClient.transition_to", 1, "after"),
]


@pytest.mark.parametrize(
    ("target", "nth", "when"),
    CROSS_CRASH_POINTS,
    ids=[f"{w}-{t.rsplit('.', 1)[1]}#{n}" for t, n, w in CROSS_CRASH_POINTS],
)
def test_a_crash_at_any_write_leaves_no_duplicate_across_sites(
    pair: Pair,
    sites: tuple[JiraEmulator, JiraEmulator],
    monkeypatch: pytest.MonkeyPatch,
    target: str,
    nth: int,
    when: str,
) -> None:
    from tests.e2e.test_crash_recovery import _arm, _cycle_until_clean

    user, dev = sites
    user_keys = [_escalate(user, f"Problem {i}") for i in range(2)]
    calls = _arm(monkeypatch, target, nth, when)
    _cycle_until_clean(pair)
    devs = {d["properties"]["jirasync.source"]["userKey"]: d["key"] for d in dev.issues("DEV")}
    assert sorted(devs) == sorted(user_keys) and len(dev.issues("DEV")) == 2
    for user_key in user_keys:
        user.add_comment(user_key, f"customer note on {user_key}", as_account=_person(user))
        dev.transition(devs[user_key], "In Arbeit", as_account=_person(dev))
    _cycle_until_clean(pair)
    _cycle_until_clean(pair)
    assert calls["crashed"] == 1, f"the crash point {target} #{nth} was never reached"
    for user_key, dev_key in devs.items():
        assert len(user.issue(user_key)["remote_links"]) == 1 and len(dev.issue(dev_key)["remote_links"]) == 1
        copies = [c for c in dev.comments(dev_key) if f"customer note on {user_key}" in str(c["body"])]
        assert len(copies) == 1
        assert user.issue(user_key)["status"] == "In Progress"
        escalated = [c for c in user.comments(user_key) if "to engineering as" in str(c["body"])]
        assert len(escalated) == 1


def test_one_site_down_fails_the_pair_with_a_clear_error_and_spares_the_others(
    pair: Pair, sites: tuple[JiraEmulator, JiraEmulator], mongo_url: str, tmp_path: Path
) -> None:
    from jirasync_cli.doubles.configs import sync_config
    from jirasync_cli.errors import JirasyncError

    user, dev = sites
    user.add_project("ONE", name="Single-site user", workflow=Workflow.user_default(), lead=_person(user))
    user.add_project("TWO", name="Single-site dev", workflow=Workflow.dev_default(), lead=_person(user))
    other_doc = sync_config("single", user.url, "ONE", "TWO")
    if user.mode != "cloud":
        other_doc["jira"] = _connection(user)
    other = Pair(user, SyncPairConfig.model_validate(other_doc).to_pair_config(), pair.settings, pair.config_dir)
    user_key = _escalate(user)
    pair.cycle()
    (created,) = dev.issues("DEV")

    dev.faults.error_rate = 1.0  # the dev site answers nothing but errors
    user.add_comment(user_key, "Hello from the customer", as_account=_person(user))
    _escalate(user, "Escalated while the dev site is down")
    other_key = user.create_issue("ONE", summary="On the healthy site", as_account=_person(user))
    user.transition(other_key, "Will Do", as_account=_person(user))
    with pytest.raises(JirasyncError) as failed:
        pair.cycle()
    assert "devJira" in str(failed.value) and f":{dev.url.rsplit(':', 1)[1]}" in str(failed.value)
    report = other.cycle()  # a pair on the healthy site runs on
    assert not report.errors and report.counts()["created"] == 1

    dev.faults.clear()  # back: the pair catches up (the comment, the new escalation), nothing doubled
    report = pair.cycle()
    assert not report.errors, report.errors
    copies = [c for c in dev.comments(created["key"]) if "Hello from the customer" in str(c["body"])]
    assert len(copies) == 1 and len(dev.issues("DEV")) == 2


def test_check_reads_each_project_on_its_own_site(
    cli: Any, sites: tuple[JiraEmulator, JiraEmulator], tmp_path: Path
) -> None:
    import json

    from jirasync_cli.doubles.configs import write_config

    user, dev = sites
    dev.set_screens("all", project="DEV")
    doc = cross_config(user, dev)
    doc["rules"].append(
        {
            "id": "typo",
            "sourceStatus": "Erledigt",
            "syncDirection": "dev_to_user",
            "actions": {"syncStatus": True, "targetStatus": "Solved"},
        }
    )
    write_config(tmp_path / "config", doc)
    result = cli.run("check", "cross", "-c", str(tmp_path / "config"), "--json")
    findings = json.loads(result.stdout)["findings"]
    # Both projects found (each on its site), "In Progress" known through the table: only the typo.
    assert result.exit_code == 1 and [f["subject"] for f in findings] == ["status 'Solved'"], findings
    assert findings[0]["project"] == "CUS"
    dev.stop()
    down = cli.run("check", "cross", "-c", str(tmp_path / "config"))
    assert down.exit_code == 2 and "devJira.baseUrl of cross" in down.output


def _ident(emu: JiraEmulator, handle: str) -> str:
    """How a site names a person in the users table: Cloud by account id, Data Center by user name."""
    account = emu.accounts.get(handle)
    assert account is not None
    return account.account_id if emu.mode == "cloud" else account.name


def test_assignees_are_mapped_to_the_dev_site_or_left_unassigned_with_a_note(
    sites: tuple[JiraEmulator, JiraEmulator], mongo_url: str, tmp_path: Path
) -> None:
    user, dev = sites
    doc = cross_config(user, dev)
    doc["mappings"]["users"] = {_ident(user, "dan"): _ident(dev, "dan")}
    config = SyncPairConfig.model_validate(doc).to_pair_config()
    pair = Pair(user, config, Settings(mongodb_url=mongo_url, config_dir=tmp_path, lease_ttl_seconds=10), tmp_path)
    by_table = user.create_issue("CUS", summary="Dan's", assignee="dan", as_account=_person(user))
    by_email = user.create_issue("CUS", summary="Erin's", assignee="erin", as_account=_person(user))
    for key in (by_table, by_email):
        user.transition(key, "Will Do", as_account=_person(user))
    report = pair.cycle()
    assert not report.errors and report.counts()["created"] == 2, report.errors
    dev_of = {d["properties"]["jirasync.source"]["userKey"]: d for d in dev.issues("DEV")}
    assert dev_of[by_table]["assignee"] == "dan"
    notes = [e for e in pair.store().recent_audit(50, key=by_email) if e["action"] == "note"]
    if user.mode == "cloud":  # Cloud hides Erin's address from the bot: nobody to match her by
        assert dev_of[by_email]["assignee"] is None
        assert any("unassigned" in str(e["detail"]) for e in notes), notes
    else:  # Data Center shows it: the same address finds her on the other site
        assert dev_of[by_email]["assignee"] == "erin"


def test_restricted_comments_keep_their_restriction_on_the_other_site(
    sites: tuple[JiraEmulator, JiraEmulator], mongo_url: str, tmp_path: Path
) -> None:
    user, dev = sites
    doc = cross_config(user, dev, commentSync={"restrictedComments": "mirror"})
    config = SyncPairConfig.model_validate(doc).to_pair_config()
    pair = Pair(user, config, Settings(mongodb_url=mongo_url, config_dir=tmp_path, lease_ttl_seconds=10), tmp_path)
    user_key = _escalate(user)
    pair.cycle()
    (created,) = dev.issues("DEV")
    dev.add_comment(
        created["key"],
        "ROLE-SECRET for developers",
        as_account=_person(dev),
        visibility={"type": "role", "value": "Developers"},
    )
    report = pair.cycle()
    assert not report.errors, report.errors
    (copy,) = [c for c in user.comments(user_key) if "ROLE-SECRET" in str(c["body"])]
    assert copy["visibility"] == {"type": "role", "value": "Developers"} and copy["internal"]


def test_webhooks_are_registered_on_each_site_for_its_own_project(
    cli: Any, sites: tuple[JiraEmulator, JiraEmulator], tmp_path: Path
) -> None:
    import json

    from jirasync_cli.doubles.configs import write_config

    user, dev = sites
    write_config(tmp_path / "config", cross_config(user, dev, webhooks={"enabled": True}))
    env = {"JIRASYNC_WEBHOOK_SECRET": "cross-hook-secret-99", "JIRASYNC_CONFIG_DIR": str(tmp_path / "config")}
    done = cli.run("webhooks", "register", "cross", "--url", "http://127.0.0.1:9", "--json", env=env)
    assert done.exit_code == 0, done.output
    assert [(d["outcome"], d["site"]) for d in json.loads(done.stdout)] == [("created", user.url), ("created", dev.url)]
    listed = json.loads(cli.run("webhooks", "list", "cross", "--json", env=env).stdout)
    # Each site filters on the project it has (a site refuses JQL naming a project it lacks).
    assert [(h["site"], h["jql"]) for h in listed if h["ours"]] == [
        (user.url, "project in (CUS)"),
        (dev.url, "project in (DEV)"),
    ]
    gone = cli.run("webhooks", "unregister", "cross", "--json", env=env)
    assert gone.exit_code == 0 and len(json.loads(gone.stdout)["removed"]) == 2


def test_a_deleted_user_issue_settles_the_pair_once_across_sites(
    pair: Pair, sites: tuple[JiraEmulator, JiraEmulator]
) -> None:
    user, dev = sites
    user_key = _escalate(user)
    pair.cycle()
    (created,) = dev.issues("DEV")
    user.delete_issue(user_key)
    dev.transition(created["key"], "In Arbeit", as_account=_person(dev))  # a rule moves the (gone) user issue
    report = pair.cycle()
    assert not report.errors, report.errors
    assert pair.store().mapping(user_key) is None
    assert dev.issue(created["key"])["properties"]["jirasync.source"]["left"] == "deleted"
    notes = [c for c in dev.comments(created["key"]) if "has left the jirasync pair" in str(c["body"])]
    assert len(notes) == 1
    said = len(dev.comments(created["key"]))
    dev.add_comment(created["key"], "Still looking", as_account=_person(dev))  # no partner to mirror it to
    again = pair.cycle()
    assert not again.errors and len(dev.comments(created["key"])) == said + 1  # said once, nothing else written
