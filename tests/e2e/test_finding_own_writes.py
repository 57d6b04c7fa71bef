"""Finding our own dev issues and comments again by the documented ways of each deployment:
Data Center's search returns no properties, Cloud's comment list no comment properties."""

from __future__ import annotations

from collections import Counter

from tests.fixtures.pair import Pair, escalate_issues, make_pair
from tests.helpers import plain

UNLINKED_RULES = [
    {"id": "create-dev", "sourceStatus": "Will Do", "syncDirection": "user_to_dev", "actions": {"createIssue": True}},
    {
        "id": "dev-done",
        "sourceStatus": "Done",
        "syncDirection": "dev_to_user",
        "actions": {"syncStatus": True, "targetStatus": "Resolved"},
    },
]


def test_lost_state_adopts_unlinked_dev_issues_by_their_property(emu, mongo_url, tmp_path):
    pair = make_pair(emu, mongo_url, tmp_path, rules=UNLINKED_RULES)
    keys = escalate_issues(emu, 2)
    created = dict(pair.cycle().created)
    assert set(created) == set(keys)
    store = pair.store()
    store.client.drop_database(pair.config.db_name)  # the pair's database is gone

    report = pair.cycle()
    assert report.created == [] and len(emu.issues("DEV")) == 2, "no second dev issue"
    assert {m["_id"]: m["dev_key"] for m in pair.store().db.issue_map.find()} == created

    emu.clear_request_log()
    idle = pair.cycle()
    assert idle.jira_requests == 1 and not idle.actions
    assert [e.path.rsplit("/", 1)[1] for e in emu.request_log] == ["serverInfo", "myself", idle_search(emu)]

    [dev] = [created[keys[0]]]
    for status in ("In Progress", "In Review", "Done"):
        emu.transition(dev, status, as_account="dan")
    pair.cycle()
    assert emu.issue(keys[0])["status"] == "Resolved", "the adopted pair syncs on"


def idle_search(emu) -> str:
    return "jql" if emu.mode == "cloud" else "search"


def test_lost_comment_response_leaves_exactly_one_copy(pair: Pair):
    emu = pair.emu
    [key] = escalate_issues(emu, 1)
    # The template comment reaches Jira but its response is lost: outcome unknown.
    emu.faults.fail_next("POST", rf"/issue/{key}/comment$", status=502, after_apply=True)
    first = pair.cycle()
    assert first.errors, "the lost response was noticed"
    emu.clear_request_log()
    second = pair.cycle()
    assert not second.errors and second.recovered.get("recovered") == 1
    comments = Counter(plain(c["body"]) for c in emu.comments(key))
    dev_key = emu.issues("DEV")[0]["key"]
    assert comments == Counter({f"Escalated to engineering as {dev_key}.": 1})
    lookups = [(e.method, e.path.split("/rest/api/")[1]) for e in emu.request_log if "comment" in e.path]
    if emu.mode == "cloud":
        assert ("POST", "3/comment/list") in lookups
    else:
        assert any(m == "GET" and p.endswith("/properties/jirasync.comment") for m, p in lookups)
    assert pair.cycle().actions == {}, "nothing written twice afterwards"


def test_comments_by_other_people_are_not_inspected(pair: Pair):
    emu = pair.emu
    [key] = escalate_issues(emu, 1)
    for n in range(3):
        emu.add_comment(key, f"customer note {n}", as_account="bob")
    emu.faults.fail_next("POST", rf"/issue/{key}/comment$", status=502, after_apply=True)
    pair.cycle()
    emu.clear_request_log()
    pair.cycle()
    if emu.mode != "cloud":  # one property read per comment of ours, none for bob's
        reads = [e for e in emu.request_log if e.path.endswith("/properties/jirasync.comment")]
        assert len(reads) == 1
    assert sum(1 for c in emu.comments(key) if plain(c["body"]).startswith("Escalated")) == 1


def test_make_pair_default_rules_still_link(emu, mongo_url, tmp_path):
    """The default (linked) rules adopt by link as before; the property path adds to it."""
    pair = make_pair(emu, mongo_url, tmp_path)
    escalate_issues(emu, 1)
    pair.cycle()
    pair.store().client.drop_database(pair.config.db_name)
    assert pair.cycle().created == [] and len(emu.issues("DEV")) == 1
