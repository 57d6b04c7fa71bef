"""Comment privacy over real HTTP, Cloud and Data Center: nothing restricted or internal ever
reaches the customer, and copies on the customer's side are internal notes by default.

"What the customer sees" is read the way a customer account would: over REST as ``bob``,
an account in no staff group, whom the emulator shows only public, unrestricted comments.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests

from jirasync_cli.emulator import JiraEmulator, Workflow
from tests.fixtures.emulator import Project
from tests.fixtures.pair import Pair, make_pair
from tests.helpers import plain as text

SECRETS = {
    "role": "SECRET-role root cause is the tenant cache",
    "group": "SECRET-group customer db password rotated",
    "internal": "SECRET-internal customer is on the churn list",
}
ROLE = {"type": "role", "value": "Developers"}
GROUP = {"type": "group", "value": "developers"}


@pytest.fixture(params=["cloud", "server"])
def jsm_emu(request: pytest.FixtureRequest, make_emu: Callable[..., JiraEmulator]) -> JiraEmulator:
    """Both projects are service projects, so internal notes exist on both sides."""
    return make_emu(
        request.param,
        timezone="Europe/Berlin",
        projects=[
            Project("USER", "Customer Support", Workflow.user_default()),
            Project("DEV", "Engineering Desk", Workflow.dev_default(), project_type="service_desk"),
        ],
    )


def escalate(pair: Pair) -> tuple[str, str]:
    """A customer issue with its dev partner, both watched by the sync."""
    emu = pair.emu
    key = emu.create_issue("USER", summary="Export broken", as_account="bob")
    emu.transition(key, "Will Do", as_account="alice")
    report = pair.cycle()
    assert report.errors == []
    (dev,) = [i["key"] for i in emu.issues("DEV")]
    return key, dev


def customer_view(emu: JiraEmulator, key: str) -> tuple[str, list[dict]]:
    """Everything a customer's account reads about ``key``'s comments, and the comments."""
    api = "3" if emu.mode == "cloud" else "2"
    auth = ("bob@example.com", "bob-token")
    issue = requests.get(f"{emu.url}/rest/api/{api}/issue/{key}", params={"fields": "comment"}, auth=auth, timeout=10)
    listing = requests.get(f"{emu.url}/rest/api/{api}/issue/{key}/comment", auth=auth, timeout=10)
    assert issue.status_code == 200 and listing.status_code == 200
    return issue.text + listing.text, listing.json()["comments"]


def copies(emu: JiraEmulator, key: str, marker: str) -> list[dict]:
    return [c for c in emu.comments(key) if marker in text(c["body"])]


def test_restricted_dev_comments_never_reach_the_customer_and_copies_are_internal(pair: Pair):
    emu = pair.emu
    user, dev = escalate(pair)
    emu.add_comment(dev, "PUBLIC-1 fix deployed to staging", as_account="dan")
    emu.add_comment(dev, SECRETS["role"], as_account="dan", visibility=ROLE)
    emu.add_comment(dev, SECRETS["group"], as_account="dan", visibility=GROUP)
    report = pair.cycle()
    assert report.errors == []

    (copy,) = copies(emu, user, "PUBLIC-1")
    assert copy["internal"] and copy["visibility"] is None, "a copy for the customer side is an internal note"
    for secret in (SECRETS["role"], SECRETS["group"]):
        assert not copies(emu, user, secret)
    seen, comments = customer_view(emu, user)
    for marker in ("PUBLIC-1", SECRETS["role"], SECRETS["group"], "Escalated to engineering"):
        assert marker not in seen, f"customer can read {marker!r}"
    assert comments == []
    withheld = [
        e
        for e in pair.store().recent_audit(50)
        if e["action"] == "note" and e["detail"]["reason"].startswith("withheld")
    ]
    assert len(withheld) == 2

    pair.cycle()  # the next cycles stay quiet about them
    assert len([c for c in emu.comments(user)]) == 2  # the escalation note and one copy


def test_jsm_internal_notes_stay_on_their_side_in_both_directions(jsm_emu, mongo_url, tmp_path):
    pair = make_pair(jsm_emu, mongo_url, tmp_path)
    emu = pair.emu
    user, dev = escalate(pair)
    emu.add_comment(dev, SECRETS["internal"], as_account="dan", internal=True)
    emu.add_comment(dev, "PUBLIC-2 we found it", as_account="dan")
    emu.add_comment(user, "agents only: SECRET-agent refund approved", as_account="alice", internal=True)
    emu.add_comment(
        user,
        "SECRET-team handled by tier 2",
        as_account="alice",
        visibility={"type": "role", "value": "Service Desk Team"},
    )
    emu.add_comment(user, "CUSTOMER-1 still broken for us", as_account="bob")
    report = pair.cycle()
    assert report.errors == []

    assert not copies(emu, user, SECRETS["internal"])
    assert [c["internal"] for c in copies(emu, user, "PUBLIC-2")] == [True]
    dev_texts = " ".join(text(c["body"]) for c in emu.comments(dev))
    assert "CUSTOMER-1" in dev_texts
    assert "SECRET-agent" not in dev_texts and "SECRET-team" not in dev_texts
    seen, _ = customer_view(emu, user)
    assert SECRETS["internal"] not in seen and "PUBLIC-2" not in seen


def test_public_copies_when_the_pair_opts_in(emu, mongo_url, tmp_path):
    pair = make_pair(emu, mongo_url, tmp_path, commentSync={"customerVisibility": "public"})
    user, dev = escalate(pair)
    emu.add_comment(dev, "PUBLIC-3 fixed in 4.2", as_account="dan")
    emu.add_comment(dev, SECRETS["role"], as_account="dan", visibility=ROLE)
    assert pair.cycle().errors == []
    seen, comments = customer_view(emu, user)
    assert "PUBLIC-3" in seen and SECRETS["role"] not in seen
    if emu.mode == "cloud":
        assert [c["jsdPublic"] for c in comments if "PUBLIC-3" in text(c["body"])] == [True]


def test_opted_in_restricted_comments_keep_their_restriction(pair_mirroring_restricted):
    pair = pair_mirroring_restricted
    emu = pair.emu
    user, dev = escalate(pair)
    emu.add_comment(dev, SECRETS["role"], as_account="dan", visibility=ROLE)
    assert pair.cycle().errors == []
    (copy,) = copies(emu, user, SECRETS["role"])
    assert copy["visibility"]["type"] == "role" and copy["visibility"]["value"] == "Developers" and copy["internal"]
    seen, _ = customer_view(emu, user)
    assert SECRETS["role"] not in seen


@pytest.fixture
def pair_mirroring_restricted(emu, mongo_url, tmp_path) -> Pair:
    return make_pair(emu, mongo_url, tmp_path, commentSync={"restrictedComments": "mirror"})


def test_mentions_and_attachments_do_not_cross(pair: Pair):
    emu = pair.emu
    user, dev = escalate(pair)
    if emu.mode == "cloud":
        dan_id = emu.accounts.get("dan").account_id
        body = {
            "type": "doc",
            "version": 1,
            "content": [
                {
                    "type": "paragraph",
                    "content": [
                        {"type": "text", "text": "MENTION-1 ask "},
                        {"type": "mention", "attrs": {"id": dan_id, "text": "@Dan Okafor"}},
                        {"type": "text", "text": " about "},
                        {"type": "text", "text": user},
                    ],
                },
                {
                    "type": "mediaSingle",
                    "attrs": {"layout": "center"},
                    "content": [
                        {"type": "media", "attrs": {"id": "f1", "type": "file", "collection": "c", "alt": "trace.png"}}
                    ],
                },
            ],
        }
    else:
        body = f"MENTION-1 ask [~dan] about {user}\n!trace.png|thumbnail!"
    emu.add_comment(dev, body, as_account="erin")
    assert pair.cycle().errors == []
    (copy,) = copies(emu, user, "MENTION-1")
    assert "Dan Okafor" in text(copy["body"]) and "[attachment: trace.png]" in text(copy["body"])
    assert user in text(copy["body"])
    assert "[~" not in copy["body"] and "!trace.png" not in copy["body"]  # body as wiki: no mention, no image
    raw = [c for c in emu.state.comments.values() if str(c.id) == copy["id"]][0].body
    assert "mention" not in str(raw) and "media" not in str(raw)


def test_edits_restrictions_and_deletes_of_originals_follow(pair: Pair):
    emu = pair.emu
    user, dev = escalate(pair)
    keep = emu.add_comment(dev, "EDIT-1 first version", as_account="dan")
    hide = emu.add_comment(dev, "HIDE-1 will be restricted", as_account="dan")
    gone = emu.add_comment(dev, "GONE-1 will be deleted", as_account="dan")
    assert pair.cycle().errors == []
    assert len(copies(emu, user, "-1 ")) == 3

    emu.edit_comment(dev, keep, "EDIT-1 second version", as_account="dan")
    emu.edit_comment(dev, hide, as_account="dan", visibility=GROUP)
    emu.delete_comment(dev, gone)
    report = pair.cycle()
    assert report.errors == []
    assert [text(c["body"]).splitlines()[-1] for c in copies(emu, user, "EDIT-1")] == ["EDIT-1 second version"]
    assert not copies(emu, user, "HIDE-1") and not copies(emu, user, "GONE-1")
    assert report.actions["delete_mirror"] == 2
    writes = len(pair.writes())
    pair.cycle()
    assert len(pair.writes()) == writes, "settled: nothing more to do"

    emu.edit_comment(dev, hide, as_account="dan", visibility={})  # public again: copied again
    assert pair.cycle().errors == []
    assert [c["internal"] for c in copies(emu, user, "HIDE-1")] == [True]


def test_a_lost_response_still_leaves_exactly_one_internal_copy(pair: Pair):
    emu = pair.emu
    user, dev = escalate(pair)
    emu.add_comment(dev, "LOST-1 the response to this copy is lost", as_account="dan")
    emu.faults.fail_next("POST", rf"/issue/{user}/comment$", status=502, after_apply=True)
    first = pair.cycle()
    assert first.errors or first.deferred or copies(emu, user, "LOST-1")
    for _ in range(2):
        pair.cycle()
    (copy,) = copies(emu, user, "LOST-1")
    assert copy["internal"]
