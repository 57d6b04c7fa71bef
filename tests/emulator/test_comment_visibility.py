"""The emulator models who may read a comment as Jira does: role/group restrictions, JSM
internal notes (``sd.public.comment``), and customers who see only public comments."""

from __future__ import annotations

from .helpers import Raw, body_for

CUSTOMER = ("bob@example.com", "bob-token")
AGENT = ("alice@example.com", "alice-token")
DEVELOPER = ("dan@example.com", "dan-token")


def texts(raw: Raw, key: str) -> str:
    listing = raw.get(f"issue/{key}/comment")
    issue = raw.get(f"issue/{key}", params={"fields": "comment"})
    assert listing.status_code == 200 and issue.status_code == 200
    assert listing.json()["total"] == issue.json()["fields"]["comment"]["total"] == len(listing.json()["comments"])
    return listing.text + issue.text


def test_restricted_comments_are_hidden_from_non_members(emu):
    key = emu.create_issue("DEV", summary="x", as_account="dan")
    emu.add_comment(key, "ROLE-dev only", as_account="dan", visibility={"type": "role", "value": "Developers"})
    emu.add_comment(key, "GROUP-dev only", as_account="dan", visibility={"type": "group", "value": "developers"})
    emu.add_comment(key, "OPEN-for all", as_account="dan")
    developer, agent, bot = Raw(emu, auth=DEVELOPER), Raw(emu, auth=AGENT), Raw(emu)
    assert all(m in texts(developer, key) for m in ("ROLE-", "GROUP-", "OPEN-"))
    assert all(m in texts(bot, key) for m in ("ROLE-", "GROUP-", "OPEN-")), "the sync account is in every group"
    seen = texts(agent, key)
    assert "OPEN-" in seen and "ROLE-" not in seen and "GROUP-" not in seen
    hidden = [c["id"] for c in emu.comments(key) if c["visibility"]]
    assert agent.get(f"issue/{key}/comment/{hidden[0]}").status_code == 404


def test_internal_notes_hidden_from_customers_and_jsd_public_on_cloud_only(emu):
    key = emu.create_issue("USER", summary="y", as_account="bob")
    emu.add_comment(key, "NOTE-agents only", as_account="alice", internal=True)
    raw = Raw(emu)
    created = raw.post(
        f"issue/{key}/comment",
        json={
            "body": body_for(emu, "POSTED-internal"),
            "properties": [{"key": "sd.public.comment", "value": {"internal": True}}],
        },
    )
    assert created.status_code == 201
    raw.post(f"issue/{key}/comment", json={"body": body_for(emu, "PUBLIC-reply")})
    customer = texts(Raw(emu, auth=CUSTOMER), key)
    assert "PUBLIC-reply" in customer and "NOTE-" not in customer and "POSTED-" not in customer
    assert "NOTE-" in texts(Raw(emu, auth=AGENT), key)
    comments = raw.get(f"issue/{key}/comment").json()["comments"]
    if emu.mode == "cloud":
        assert [c["jsdPublic"] for c in comments] == [False, False, True]
    else:
        assert all("jsdPublic" not in c for c in comments), "Data Center has no jsdPublic"
    prop = raw.get(f"comment/{comments[0]['id']}/properties/sd.public.comment")
    assert prop.json()["value"] == {"internal": True}


def test_a_restriction_the_author_does_not_hold_is_refused(emu):
    key = emu.create_issue("DEV", summary="z", as_account="dan")
    agent = Raw(emu, auth=AGENT)
    refused = agent.post(
        f"issue/{key}/comment", json={"body": body_for(emu, "x"), "visibility": {"type": "role", "value": "Developers"}}
    )
    assert refused.status_code == 400
    assert "not a member" in refused.json()["errors"]["commentLevel"]
    unknown = Raw(emu).post(
        f"issue/{key}/comment", json={"body": body_for(emu, "x"), "visibility": {"type": "group", "value": "nobody"}}
    )
    assert unknown.status_code == 400
    assert Raw(emu).get("project/DEV/role").json().keys() >= {"Developers", "Service Desk Team"}
