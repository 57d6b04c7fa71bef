"""Cross-links read "<dev issue> <outward phrase> <user issue>" whichever way they are made:
with the create request (Linked Issues on the create screen) or afterwards (POST issueLink)."""

from __future__ import annotations

import pytest
import requests

from tests.fixtures.pair import make_pair
from tests.helpers import BOT_TOKEN

PHRASES = {"Blocks": ("blocks", "is blocked by"), "Cloners": ("clones", "is cloned by")}


def issuelinks(emu, key: str) -> list[dict]:
    """The issue's links as Jira's REST API returns them (not the emulator's own view)."""
    version = "3" if emu.mode == "cloud" else "2"
    r = requests.get(
        f"{emu.url}/rest/api/{version}/issue/{key}",
        params={"fields": "issuelinks"},
        auth=("bot@example.com", BOT_TOKEN),
        timeout=10,
    )
    r.raise_for_status()
    return r.json()["fields"]["issuelinks"]


def reading(emu, key: str) -> tuple[str, str]:
    """How Jira labels the one link on ``key``: (phrase, other key)."""
    (link,) = issuelinks(emu, key)
    if "outwardIssue" in link:  # label with the type's outward phrase
        return link["type"]["outward"], link["outwardIssue"]["key"]
    return link["type"]["inward"], link["inwardIssue"]["key"]


def pair_with(emu, mongo_url, tmp_path, link_type: str):
    jira = {
        "baseUrl": emu.url,
        "email": "bot@example.com",
        "apiToken": BOT_TOKEN,
        "concurrency": 4,
        "linkType": link_type,
    }
    return make_pair(emu, mongo_url, tmp_path, jira=jira)


@pytest.mark.parametrize("link_type", ["Blocks", "Cloners"])
def test_link_on_create_and_create_then_link_read_the_same(emu, mongo_url, tmp_path, link_type):
    outward, inward = PHRASES[link_type]
    pair = pair_with(emu, mongo_url, tmp_path, link_type)
    seen = {}
    for screens in ("all", "default"):  # Linked Issues on the create screen, then not
        emu.set_screens(screens, project="DEV")
        emu.clear_request_log()
        user = emu.create_issue("USER", summary=f"via {screens}", as_account="alice")
        emu.transition(user, "Will Do", as_account="alice")
        emu.advance(61)
        assert not pair.cycle().errors
        dev = pair.store().mapping(user).dev_key
        link_posts = sum(1 for e in emu.request_log if e.method == "POST" and e.path.endswith("/issueLink"))
        assert link_posts == (0 if screens == "all" else 1)
        seen[screens] = (reading(emu, dev), reading(emu, user))
        assert seen[screens] == ((outward, user), (inward, dev)), f"{screens}: DEV {outward} USER"
    assert {k: (v[0][0], v[1][0]) for k, v in seen.items()} == {"all": (outward, inward), "default": (outward, inward)}


@pytest.mark.parametrize("made_from", ["dev", "user"])
def test_hand_made_link_in_either_direction_is_adopted(pair, made_from):
    emu = pair.emu
    user = emu.create_issue("USER", summary="Already escalated by hand", as_account="alice")
    dev = emu.create_issue("DEV", summary="Made by a person", as_account="dan")
    first, second = (dev, user) if made_from == "dev" else (user, dev)
    emu.link(first, second, "Blocks", as_account="alice")
    emu.transition(user, "Will Do", as_account="alice")
    assert not pair.cycle().errors
    assert [i["key"] for i in emu.issues("DEV")] == [dev]  # adopted, not created
    assert pair.store().mapping(user).dev_key == dev
    assert len(issuelinks(emu, user)) == 1  # and not linked a second time
