"""The emulator's admin webhooks, through the real `jira` client over HTTP: registration
(admins only), deliveries in each deployment's shapes, signed, and the loss switches."""

from __future__ import annotations

import time

import pytest

from jirasync_cli.config.models import JiraConnection
from jirasync_cli.jira import connect
from jirasync_cli.jira.errors import JiraApiError
from jirasync_cli.webhooks import admin, signature
from tests.helpers import wait_for

SECRET = "emulator-hook-secret"


def hooks_api(emu, email="bot@example.com", token="emulator-token"):
    return admin.Admin(connect(JiraConnection(base_url=emu.url, email=email, api_token=token), pool_size=2))


def register(emu, sink, **extra):
    doc = admin.body("sync-ab", "USER", "DEV", sink.url.rsplit("/webhook", 1)[0], SECRET)
    doc.update(extra)
    return hooks_api(emu).register(doc)


def test_register_list_update_unregister(emu, sink):
    api = hooks_api(emu)
    outcome, hook = register(emu, sink)
    assert outcome == "created" and hook["self"].endswith(f"/rest/webhooks/1.0/webhook/{admin.webhook_id(hook)}")
    assert "secret" not in hook
    listed = api.registered()
    assert [h["name"] for h in listed] == ["jirasync sync-ab"]
    assert listed[0]["filters"]["issue-related-events-section"] == "project in (USER, DEV)"
    assert listed[0]["url"] == sink.url + "?pair=sync-ab"
    assert register(emu, sink)[0] == "updated" and len(api.registered()) == 1
    assert api.unregister("jirasync sync-ab") == [admin.webhook_id(hook)]
    assert api.registered() == []


def test_only_administrators_may_register(emu, sink):
    with pytest.raises(JiraApiError) as caught:
        hooks_api(emu, "alice@example.com", "alice-token").registered()
    assert caught.value.status == 403


def test_invalid_jql_filter_is_refused(emu, sink):
    with pytest.raises(JiraApiError) as caught:
        register(emu, sink, filters={"issue-related-events-section": "project in ("})
    assert caught.value.status == 400


def test_deliveries_have_the_deployment_shapes_and_a_valid_signature(emu, sink):
    register(emu, sink)
    key = emu.create_issue("USER", "Printer on fire", as_account="alice")
    emu.add_comment(key, "still burning", as_account="alice")
    emu.transition(key, "Will Do", as_account="alice")
    emu.create_issue("OTHER", "not ours")  # outside the JQL filter
    wait_for(lambda: len(sink.got) >= 4, 10, message="4 deliveries")
    time.sleep(0.3)
    assert sorted(sink.events()) == sorted(
        ["jira:issue_created", "comment_created", "jira:issue_updated", "jira:issue_updated"]
    )
    for headers, raw, _doc in sink.got:
        assert signature.verify(SECRET, raw, headers["x-hub-signature"])
        assert headers["x-atlassian-webhook-identifier"]
    by_event = {doc["webhookEvent"]: doc for _, _, doc in sink.got}
    created = by_event["jira:issue_created"]
    assert created["issue"]["key"] == key and created["issue"]["fields"]["project"]["key"] == "USER"
    comment = by_event["comment_created"]
    assert f"/issue/{created['issue']['id']}/comment/" in comment["comment"]["self"]
    if emu.mode == "cloud":
        assert comment["issue"]["fields"]["project"]["key"] == "USER"
    else:
        assert "issue" not in comment  # Data Center sends the comment alone


def test_links_deliver_issue_ids_only(emu, sink):
    register(emu, sink)
    user = emu.create_issue("USER", "a")
    dev = emu.create_issue("DEV", "b")
    emu.link(dev, user)
    wait_for(lambda: "issuelink_created" in sink.events(), 10, message="link event")
    doc = next(d for _, _, d in sink.got if d["webhookEvent"] == "issuelink_created")
    ids = {str(doc["issueLink"]["sourceIssueId"]), str(doc["issueLink"]["destinationIssueId"])}
    assert ids == {emu.issue(user)["id"], emu.issue(dev)["id"]} and "issue" not in doc


def test_drop_switch_loses_every_delivery(emu, sink):
    register(emu, sink)
    emu.webhooks.configure(drop=1.0)
    for n in range(5):
        emu.create_issue("USER", f"lost {n}")
    time.sleep(0.5)
    assert sink.got == []
    assert emu.webhooks.summary()["deliveries"] == {"dropped": 5}


def test_duplicate_and_delay_switches(emu, sink):
    register(emu, sink)
    emu.webhooks.configure(duplicate=1.0, delay_seconds=0.4)
    started = time.monotonic()
    emu.create_issue("USER", "twice")
    wait_for(lambda: len(sink.got) == 2, 10, message="two copies")
    assert time.monotonic() - started >= 0.4
    assert sink.got[0][0]["x-atlassian-webhook-identifier"] == sink.got[1][0]["x-atlassian-webhook-identifier"]


def test_reorder_switch_shuffles_a_burst(emu, sink):
    register(emu, sink)
    emu.webhooks.configure(reorder_seconds=0.5)
    keys = [emu.create_issue("USER", f"n{n}") for n in range(12)]
    wait_for(lambda: len(sink.got) == 12, 10, message="12 deliveries")
    arrived = [doc["issue"]["key"] for _, _, doc in sink.got]
    assert sorted(arrived) == sorted(keys) and arrived != keys


def test_switches_over_the_control_api(emu):
    import json
    import urllib.request

    req = urllib.request.Request(f"{emu.url}/_emulator/webhooks", data=json.dumps({"drop": 0.5}).encode(), method="PUT")
    with urllib.request.urlopen(req) as r:
        assert json.loads(r.read())["switches"]["drop"] == 0.5
