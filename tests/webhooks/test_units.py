"""The pure parts: signature, payload reading, routing, coalescing."""

from __future__ import annotations

import pytest

from jirasync_cli.webhooks import events, signature
from jirasync_cli.webhooks.coalesce import ARMED, IDLE, REQUESTED, RUNNING, Coalescer
from jirasync_cli.webhooks.routing import Listener, Routes

SECRET = "It's a Secret to Everybody"


# -- signature ---------------------------------------------------------------------------------
def test_signature_matches_the_published_test_vector():
    # The example of Jira's "secure admin webhooks" documentation (WebSub method=signature).
    expected = "sha256=a4771c39fbe90f317c7824e83ddef3caae9cb3d976c214ace1f2937e133263c9"
    assert signature.sign(SECRET, b"Hello World!") == expected
    assert signature.verify(SECRET, b"Hello World!", expected)
    assert signature.verify(SECRET, b"Hello World!", expected.upper().replace("SHA256", "sha256"))


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "sha256=",
        "a4771c39",
        "sha1=a4771c39fbe90f317c7824e83ddef3caae9cb3d9",
        "sha256=a4771c39fbe90f317c7824e83ddef3caae9cb3d976c214ace1f2937e133263c8",
        "sha256=zz",
    ],
)
def test_signature_refuses_missing_malformed_and_wrong_headers(header):
    assert not signature.verify(SECRET, b"Hello World!", header)


def test_signature_covers_the_body_byte_for_byte():
    header = signature.sign(SECRET, b'{"a":1}')
    assert not signature.verify(SECRET, b'{"a": 1}', header)
    assert not signature.verify("another secret", b'{"a":1}', header)


def test_an_empty_secret_is_a_programming_error():
    with pytest.raises(ValueError):
        signature.verify("", b"x", "sha256=00")


# -- payloads ----------------------------------------------------------------------------------
def cloud_issue_event(key="USER-7", project="USER", site="https://a.atlassian.net"):
    return {
        "timestamp": 1,
        "webhookEvent": "jira:issue_updated",
        "issue_event_type_name": "issue_generic",
        "issue": {
            "id": "10007",
            "key": key,
            "self": f"{site}/rest/api/2/issue/10007",
            "fields": {"project": {"key": project}},
        },
    }


def test_issue_events_name_project_and_issue_id():
    d = events.parse(cloud_issue_event())
    assert d.event == "jira:issue_updated" and d.projects == {"USER"} and d.issue_ids == {"10007"}


def test_cloud_comment_events_carry_the_issue():
    d = events.parse(
        {
            "webhookEvent": "comment_created",
            "comment": {"self": "https://a.atlassian.net/rest/api/2/issue/10007/comment/5", "id": "5"},
            "issue": {"id": "10007", "key": "DEV-3", "fields": {"project": {"key": "DEV"}}},
        }
    )
    assert d.projects == {"DEV"} and d.issue_ids == {"10007"}


def test_data_center_comment_events_name_the_issue_id_only():
    d = events.parse(
        {
            "webhookEvent": "comment_created",
            "comment": {
                "self": "https://jira.example.com/rest/api/2/issue/89820/comment/456843",
                "id": "456843",
                "body": "x",
            },
        }
    )
    assert d.projects == frozenset() and d.issue_ids == {"89820"}


def test_link_events_name_both_issue_ids():
    d = events.parse(
        {
            "webhookEvent": "issuelink_created",
            "issueLink": {"id": 10001, "sourceIssueId": 10002, "destinationIssueId": 10003},
        }
    )
    assert d.issue_ids == {"10002", "10003"} and not d.projects


@pytest.mark.parametrize("body", [None, [], "x", {}, {"webhookEvent": ""}, {"webhookEvent": 3}])
def test_what_is_not_a_jira_webhook(body):
    assert events.parse(body) is None


def test_hostile_shapes_do_not_break_the_reader():
    d = events.parse(
        {
            "webhookEvent": "jira:issue_updated",
            "issue": {"fields": "nope", "key": {"x": 1}},
            "comment": ["no"],
            "issueLink": "no",
        }
    )
    assert d is not None and not d.projects and not d.issue_ids


# -- routing -----------------------------------------------------------------------------------
def routes():
    return Routes(
        [
            Listener("sync-ab", "https://a.atlassian.net", ("USER", "DEV")),
            Listener("sync-cd", "https://a.atlassian.net", ("CS", "BILL")),
            Listener("other-site", "https://b.atlassian.net", ("USER", "OPS")),
        ]
    )


def test_routing_by_project_key_prefers_the_site_of_the_self_links():
    r = routes()
    assert r.route(events.parse(cloud_issue_event())) == {"sync-ab"}
    assert r.route(events.parse(cloud_issue_event(site="https://b.atlassian.net"))) == {"other-site"}
    assert r.route(events.parse(cloud_issue_event(key="BILL-1", project="BILL"))) == {"sync-cd"}


def test_the_same_key_on_two_sites_without_self_links_wakes_both():
    doc = cloud_issue_event()
    del doc["issue"]["self"]
    assert routes().route(events.parse(doc)) == {"sync-ab", "other-site"}


def test_unknown_projects_route_nowhere():
    assert routes().route(events.parse(cloud_issue_event(key="ZZ-1", project="ZZ"))) == frozenset()


def test_ids_only_events_follow_what_earlier_events_taught():
    r = routes()
    r.route(events.parse(cloud_issue_event()))  # issue 10007 is USER-7 of sync-ab
    dc_comment = {"webhookEvent": "comment_created", "comment": {"self": "https://x/rest/api/2/issue/10007/comment/1"}}
    assert r.route(events.parse(dc_comment)) == {"sync-ab"}


def test_ids_only_events_fall_back_on_the_url_naming_the_pair():
    link = events.parse(
        {"webhookEvent": "issuelink_created", "issueLink": {"sourceIssueId": 1, "destinationIssueId": 2}}
    )
    r = routes()
    assert r.route(link) == frozenset()
    assert r.route(link, ["sync-cd"]) == {"sync-cd"}
    assert r.route(link, ["not-a-listener"]) == frozenset()


def test_the_issue_memory_is_bounded():
    r = Routes([Listener("p", "https://a", ("USER", "DEV"))], known=10)
    for n in range(100):
        r.route(
            events.parse(
                {"webhookEvent": "jira:issue_updated", "issue": {"id": str(n), "key": f"USER-{n}", "fields": {}}}
            )
        )
    assert len(r._issues) == 10


# -- coalescing --------------------------------------------------------------------------------
def test_a_burst_costs_one_cycle():
    c = Coalescer(debounce=0.5)
    due = c.event(0.0)
    assert due == 0.5 and c.state == ARMED
    for i in range(99):
        assert c.event(0.001 * i) is None
    assert c.fire(0.5) is True and c.state == REQUESTED
    assert c.event(0.6) is None  # asked for, not started yet: that cycle will see it
    c.started(0.7)
    assert c.finished(1.0) is None and c.state == IDLE
    assert c.coalesced == 100 and c.accepted == 101


def test_events_during_a_cycle_schedule_exactly_one_follow_up():
    c = Coalescer(debounce=0.2)
    c.fire(c.event(0.0))
    c.started(0.2)
    assert [c.event(0.3 + i / 100) for i in range(50)] == [None] * 50
    due = c.finished(2.0)
    assert due == pytest.approx(2.2) and c.state == ARMED
    assert c.fire(2.2)
    c.started(2.2)
    assert c.finished(2.5) is None and c.state == IDLE  # nothing came during the follow-up
    assert c.coalesced == 49


def test_a_poll_cycle_starting_voids_the_armed_timer():
    c = Coalescer(debounce=1.0)
    due = c.event(0.0)
    c.started(0.5)  # the worker's own poll began after the event: it covers it
    assert c.fire(due) is False
    assert c.finished(0.9) is None and c.state == IDLE


def test_the_timer_does_not_fire_early():
    c = Coalescer(debounce=1.0)
    c.event(0.0)
    assert c.fire(0.5) is False and c.state == ARMED


def test_a_lost_nudge_is_given_up_after_the_request_timeout():
    c = Coalescer(debounce=0.1, request_timeout=30)
    c.fire(c.event(0.0))
    assert c.event(10.0) is None  # still waiting for the worker
    assert c.event(40.0) == pytest.approx(40.1)  # it never started: arm anew


def test_a_worker_restart_forgets_what_was_pending():
    c = Coalescer()
    c.fire(c.event(0.0))
    c.started(1.0)
    c.event(1.5)
    c.reset()
    assert c.state == IDLE and not c.follow_up
    assert c.finished(2.0) is None


def test_a_failed_cycle_also_ends_the_running_state():
    c = Coalescer(debounce=0.1)
    c.fire(c.event(0.0))
    c.started(0.1)
    c.event(0.2)
    assert c.finished(0.3) == pytest.approx(0.4) and c.state == ARMED
    assert RUNNING != c.state


def test_a_cycle_that_covered_events_is_rechecked_once():
    c = Coalescer(debounce=0.2, recheck=5.0)
    c.fire(c.event(0.0))
    c.started(0.2)
    assert c.finished(0.5) == pytest.approx(5.5) and c.rechecking  # Cloud's search may not have shown it yet
    assert c.fire(5.5)
    c.started(5.5)
    assert c.finished(5.7) is None and c.state == IDLE  # a recheck is not rechecked


def test_an_event_during_the_recheck_wait_runs_sooner_and_is_rechecked_itself():
    c = Coalescer(debounce=0.2, recheck=5.0)
    c.fire(c.event(0.0))
    c.started(0.2)
    c.finished(0.5)
    assert c.event(1.0) == pytest.approx(1.2) and not c.rechecking
    assert c.fire(1.2)
    c.started(1.2)
    assert c.finished(1.4) == pytest.approx(6.4)


def test_poll_cycles_that_covered_nothing_are_not_rechecked():
    c = Coalescer(debounce=0.2, recheck=5.0)
    c.started(0.0)
    assert c.finished(1.0) is None and c.state == IDLE


def test_a_reload_keeps_the_issue_memory():
    r = routes()
    r.route(events.parse(cloud_issue_event()))
    reloaded = Routes(r.listeners.values(), carry=r)
    dc_comment = {"webhookEvent": "comment_created", "comment": {"self": "https://x/rest/api/2/issue/10007/comment/1"}}
    assert reloaded.route(events.parse(dc_comment)) == {"sync-ab"}


def test_standalone_workers_poll_on_the_usual_interval():
    from jirasync_cli.config.models import SyncPairConfig
    from tests.helpers import sync_config

    cfg = SyncPairConfig.model_validate(
        sync_config("p", "http://jira", syncIntervalMinutes=2, webhooks={"enabled": True, "pollIntervalMinutes": 45})
    ).to_pair_config()
    assert cfg.interval_seconds(5) == 45 * 60
    assert cfg.interval_seconds(5, listening=False) == 2 * 60
    off = SyncPairConfig.model_validate(sync_config("p", "http://jira", syncIntervalMinutes=2)).to_pair_config()
    assert off.interval_seconds(5) == 2 * 60 and not off.webhooks.enabled
