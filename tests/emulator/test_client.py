"""The emulator driven through the real ``jira`` client over HTTP, in both deployment modes."""

from __future__ import annotations

import pytest
from jira.exceptions import JIRAError

from jirasync_cli.emulator import EmulatorError
from jirasync_cli.emulator.clock import parse_jira_ts

from .helpers import Raw, adf_text, body_for, client


def test_server_info_and_myself(emu):
    j = client(emu)
    assert j.deploymentType == ("Cloud" if emu.mode == "cloud" else "Server")
    assert j._is_cloud == (emu.mode == "cloud")
    info = j.server_info()
    assert info["baseUrl"] == emu.url and info["versionNumbers"]
    assert info["serverTime"].endswith(("+0100", "+0200"))  # Europe/Berlin, offset without colon
    me = j.myself()
    assert me["displayName"] == "jirasync bot" and me["timeZone"] == "Europe/Berlin"
    if emu.mode == "cloud":
        assert me["accountId"] == "557058:jirasync-bot" and "name" not in me
    else:
        assert me["name"] == "jirasync-bot" and me["key"].startswith("JIRAUSER") and "accountId" not in me


def test_create_get_edit_delete(emu):
    j = client(emu)
    desc = body_for(emu, "Steps: open the page")
    issue = j.create_issue(
        fields={
            "project": {"key": "USER"},
            "summary": "Login fails",
            "issuetype": {"name": "Bug"},
            "priority": {"name": "High"},
            "labels": ["login", "auth"],
            "description": desc,
        }
    )
    assert issue.key == "USER-1"
    assert issue.fields.summary == "Login fails" and issue.fields.priority.name == "High"
    assert issue.fields.labels == ["auth", "login"]  # Jira returns labels sorted
    assert issue.fields.status.name == "Open" and issue.fields.resolution is None
    assert issue.raw["fields"]["description"] == desc
    assert issue.fields.reporter.displayName == "jirasync bot"
    created = parse_jira_ts(issue.fields.created)

    emu.advance(60)
    issue.update(fields={"summary": "Login fails after reset", "labels": ["auth"]})
    again = j.issue("USER-1", expand="changelog")
    assert again.fields.summary == "Login fails after reset" and again.fields.labels == ["auth"]
    assert parse_jira_ts(again.fields.updated) >= created + 60_000
    items = [i for h in again.raw["changelog"]["histories"] for i in h["items"]]
    assert {"summary", "labels"} <= {i["field"] for i in items}
    summary_item = next(i for i in items if i["field"] == "summary")
    assert summary_item["fromString"] == "Login fails" and summary_item["toString"] == "Login fails after reset"

    # update ops: add / remove labels
    issue.update(update={"labels": [{"add": "sso"}, {"remove": "auth"}]})
    assert j.issue("USER-1").fields.labels == ["sso"]

    j.issue("USER-1").delete()
    with pytest.raises(JIRAError) as err:
        j.issue("USER-1")
    assert err.value.status_code == 404
    assert "Issue does not exist" in err.value.text


def test_create_validation_errors_apply_nothing(emu, raw):
    r = raw.post(
        "issue",
        {
            "fields": {
                "project": {"key": "USER"},
                "issuetype": {"name": "Bug"},
                "labels": ["has space"],
                "priority": {"name": "Urgent"},
            }
        },
    )
    assert r.status_code == 400
    errors = r.json()["errors"]
    assert errors["summary"] == "You must specify a summary of the issue."
    assert "contains spaces" in errors["labels"] and "Urgent" in errors["priority"]
    r = raw.post(
        "issue",
        {
            "fields": {
                "project": {"key": "NOPE"},
                "summary": "x",
                "issuetype": {"name": "Task"},
                "status": {"name": "Done"},
            }
        },
    )
    assert r.status_code == 400 and set(r.json()["errors"]) == {"project", "status"}
    assert emu.issues() == []
    if emu.mode == "cloud":  # v3 descriptions must be ADF
        r = raw.post(
            "issue",
            {
                "fields": {
                    "project": {"key": "USER"},
                    "summary": "x",
                    "issuetype": {"name": "Task"},
                    "description": "plain text",
                }
            },
        )
        assert r.status_code == 400 and "Atlassian Document" in r.json()["errors"]["description"]
    ok = raw.post("issue", {"fields": {"project": {"key": "USER"}, "summary": "x", "issuetype": {"name": "Task"}}})
    assert ok.status_code == 201 and ok.json()["key"] == "USER-1"  # failed attempts consumed no key


def test_transitions_valid_and_invalid(emu):
    j = client(emu)
    key = emu.create_issue("USER", summary="Printer on fire", as_account="bob")
    names = {t["name"]: t for t in j.transitions(key)}
    assert set(names) == {"Will Do", "Start Progress", "Wait for Customer", "Resolve"}
    assert names["Resolve"]["to"]["name"] == "Resolved"
    assert names["Resolve"]["to"]["statusCategory"]["key"] == "done"

    j.transition_issue(key, names["Start Progress"]["id"])
    assert j.issue(key).fields.status.name == "In Progress"

    close_id = next(t.id for t in emu.state.projects["USER"].workflow.transitions if t.name == "Close")
    with pytest.raises(JIRAError) as err:  # Close is only available from Resolved
        j.transition_issue(key, close_id)
    assert err.value.status_code == 400 and f"Transition id '{close_id}' is not valid for this issue." in err.value.text
    assert j.issue(key).fields.status.name == "In Progress"

    with pytest.raises(JIRAError) as err:  # "Resolve" has a screen that requires a resolution
        j.transition_issue(key, "Resolve")
    assert err.value.status_code == 400
    assert err.value.response.json() == {"errorMessages": [], "errors": {"resolution": "Field Resolution is required."}}
    assert j.issue(key).fields.status.name == "In Progress"
    # the client resolves names to ids via GET transitions
    j.transition_issue(key, "Resolve", fields={"resolution": {"name": "Done"}})
    done = j.issue(key)
    assert done.fields.status.name == "Resolved" and done.fields.resolution.name == "Done"
    assert done.fields.resolutiondate is not None
    emu.transition(key, "Open", as_account="alice")  # "Reopen" clears the resolution
    reopened = j.issue(key)
    assert reopened.fields.status.name == "Open" and reopened.fields.resolution is None

    with pytest.raises(EmulatorError):
        emu.transition(key, "Closed")  # Open -> Closed has no transition
    with pytest.raises(EmulatorError):
        emu.transition(key, "Nonexistent")


def test_transition_with_fields_and_comment(emu, raw):
    key = emu.create_issue("DEV", summary="Crash on start")
    emu.transition(key, "In Progress")
    tid = next(t["id"] for t in raw.get(f"issue/{key}/transitions").json()["transitions"] if t["to"]["name"] == "Done")
    r = raw.post(
        f"issue/{key}/transitions",
        {
            "transition": {"id": tid},
            "fields": {"resolution": {"name": "Duplicate"}},
            "update": {"comment": [{"add": {"body": body_for(emu, "dup of DEV-9")}}]},
        },
    )
    assert r.status_code == 204
    snap = emu.issue(key)
    assert snap["status"] == "Done" and snap["resolution"] == "Duplicate" and snap["comment_count"] == 1
    assert raw.post(f"issue/{key}/transitions", {}).json()["errorMessages"] == ["Missing 'transition' identifier"]


def test_comments_adf_on_v3_and_wiki_on_v2(cloud):
    key = cloud.create_issue("USER", summary="Export broken", as_account="bob")
    v3, v2 = client(cloud, "3"), client(cloud, "2")
    c = v3.add_comment(key, adf_text("Looking into it"))
    assert c.raw["body"] == adf_text("Looking into it")
    assert v2.comment(key, c.id).body == "Looking into it"  # same stored comment, wiki on v2

    with pytest.raises(JIRAError) as err:
        v3.add_comment(key, "plain string to v3")
    assert err.value.status_code == 400 and "Comment body is not valid!" in err.value.text

    w = v2.add_comment(key, "Fixed in *2.3*\n\nSee {{release-notes}}")
    assert w.body == "Fixed in *2.3*\n\nSee {{release-notes}}"  # v2 returns the wiki text it stored
    adf = v3.comment(key, w.id).raw["body"]
    assert adf["type"] == "doc" and adf["content"][0]["content"][1] == {
        "type": "text",
        "text": "2.3",
        "marks": [{"type": "strong"}],
    }
    assert [x.id for x in v3.comments(key)] == [c.id, w.id]
    assert cloud.comments(key)[1]["author"] == "jirasync-bot"


def test_comments_server_are_wiki_and_v3_absent(server):
    raw = Raw(server)
    key = server.create_issue("USER", summary="Export broken", description="Some *bold* text")
    j = client(server)
    c = j.add_comment(key, "Thanks, we are on it")
    assert c.body == "Thanks, we are on it" and c.author.name == "jirasync-bot"
    assert j.issue(key).fields.description == "Some *bold* text"
    assert Raw(server, "3").get(f"issue/{key}").status_code == 404
    assert raw.post(f"issue/{key}/comment", {"body": adf_text("x")}).status_code == 400


def test_comment_paging_order_properties_edit_delete(emu, raw):
    key = emu.create_issue("USER", summary="Chatty")
    ids = [emu.add_comment(key, f"comment {n}", as_account="bob") for n in range(7)]
    page = raw.get(f"issue/{key}/comment", params={"startAt": 3, "maxResults": 3}).json()
    assert page["total"] == 7 and page["startAt"] == 3 and page["maxResults"] == 3
    assert [c["id"] for c in page["comments"]] == ids[3:6]
    newest = raw.get(f"issue/{key}/comment", params={"orderBy": "-created", "maxResults": 2}).json()
    assert [c["id"] for c in newest["comments"]] == [ids[6], ids[5]]

    r = raw.post(
        f"issue/{key}/comment",
        {
            "body": body_for(emu, "synced"),
            "properties": [{"key": "jirasync", "value": {"intent": "i-1"}}],
            "visibility": {"type": "role", "value": "Developers"},
        },
    )
    assert r.status_code == 201
    cid = r.json()["id"]
    assert r.json()["visibility"] == {"type": "role", "value": "Developers"}
    listed = raw.get(f"issue/{key}/comment", params={"expand": "properties", "startAt": 7}).json()["comments"]
    if emu.mode == "cloud":  # not documented there: ignored (POST comment/list serves properties)
        assert "properties" not in listed[0]
    else:
        assert listed[0]["properties"] == [{"key": "jirasync", "value": {"intent": "i-1"}}]
    assert "properties" not in raw.get(f"issue/{key}/comment/{cid}").json()
    assert raw.get(f"comment/{cid}/properties/jirasync").json()["value"] == {"intent": "i-1"}

    emu.advance(120)
    r = raw.put(f"issue/{key}/comment/{cid}", {"body": body_for(emu, "synced (edited)")})
    assert r.status_code == 200 and r.json()["updated"] != r.json()["created"]
    assert r.json()["updateAuthor"]["displayName"] == "jirasync bot"
    assert raw.delete(f"issue/{key}/comment/{cid}").status_code == 204
    assert raw.get(f"issue/{key}/comment/{cid}").status_code == 404
    assert raw.get(f"issue/{key}/comment").json()["total"] == 7


def test_issue_links_both_sides(emu):
    j = client(emu)
    a = emu.create_issue("USER", summary="Customer cannot log in")
    b = emu.create_issue("DEV", summary="Session cache bug")
    before = j.issue(b).fields.updated
    emu.advance(60)
    r = j.create_issue_link("Blocks", b, a)  # b blocks a
    assert r.status_code == 201
    on_b = j.issue(b).raw["fields"]["issuelinks"]
    on_a = j.issue(a).raw["fields"]["issuelinks"]
    assert on_b[0]["outwardIssue"]["key"] == a and on_b[0]["type"]["outward"] == "blocks"
    assert on_a[0]["inwardIssue"]["key"] == b and on_a[0]["type"]["inward"] == "is blocked by"
    assert on_a[0]["id"] == on_b[0]["id"]
    assert j.issue(b).fields.updated > before  # links bump "updated"
    link = j.issue_link(on_a[0]["id"])
    assert link.inwardIssue.key == b and link.outwardIssue.key == a
    hist = emu.issue(a)["changelog"][-1]["items"][0]
    assert hist["field"] == "Link" and hist["toString"] == f"This issue is blocked by {b}"

    j.create_issue_link("Blocks", b, a)  # the same link again is not duplicated
    assert len(j.issue(a).raw["fields"]["issuelinks"]) == 1
    j.delete_issue_link(on_a[0]["id"])
    assert j.issue(a).raw["fields"]["issuelinks"] == [] and j.issue(b).raw["fields"]["issuelinks"] == []


def test_create_with_link_and_property_is_atomic(emu, raw):
    emu.set_screens("all", project="DEV")  # Linked Issues is on this site's create screen
    user = emu.create_issue("USER", summary="Report")
    payload = {
        "fields": {"project": {"key": "DEV"}, "summary": "Escalated", "issuetype": {"name": "Task"}},
        "update": {"issuelinks": [{"add": {"type": {"name": "Relates"}, "outwardIssue": {"key": user}}}]},
        "properties": [{"key": "jirasync.source", "value": {"key": user, "pair": "p1"}}],
    }
    r = raw.post("issue", payload)
    assert r.status_code == 201
    dev = r.json()["key"]
    assert emu.issue(dev)["links"] == [
        {
            "id": emu.issue(dev)["links"][0]["id"],
            "type": "Relates",
            "direction": "outward",
            "description": "relates to",
            "key": user,
        }
    ]
    assert emu.issue(user)["links"][0]["key"] == dev
    got = raw.get(f"issue/{dev}", params={"properties": "jirasync.source", "fields": "summary"}).json()
    assert got["properties"] == {"jirasync.source": {"key": user, "pair": "p1"}}
    assert set(got["fields"]) == {"summary"}

    bad = dict(payload)
    bad["update"] = {"issuelinks": [{"add": {"type": {"name": "Relates"}, "outwardIssue": {"key": "USER-999"}}}]}
    r = raw.post("issue", bad)
    assert r.status_code == 400 and "issuelinks" in r.json()["errors"]
    assert len(emu.issues("DEV")) == 1  # nothing created


def test_remote_links_upsert_by_global_id(emu):
    j = client(emu)
    key = emu.create_issue("USER", summary="Has a remote link")
    first = j.add_remote_link(key, {"url": "https://example.com/a", "title": "Partner ticket"}, globalId="sync:DEV-1")
    second = j.add_remote_link(
        key, {"url": "https://example.com/b", "title": "Partner ticket (moved)"}, globalId="sync:DEV-1"
    )
    assert first.id == second.id
    links = j.remote_links(key)
    assert len(links) == 1 and links[0].object.url == "https://example.com/b"
    other = j.add_remote_link(key, {"url": "https://example.com/c", "title": "Other"})
    assert other.id != first.id and len(j.remote_links(key)) == 2
    raw = Raw(emu)
    assert raw.get(f"issue/{key}/remotelink", params={"globalId": "sync:DEV-1"}).json()["id"] == first.id
    assert raw.delete(f"issue/{key}/remotelink", params={"globalId": "sync:DEV-1"}).status_code == 204
    assert [rl.id for rl in j.remote_links(key)] == [other.id]
    assert raw.post(f"issue/{key}/remotelink", {"object": {"url": "https://x"}}).status_code == 400


def test_issue_properties(emu):
    j = client(emu)
    key = emu.create_issue("USER", summary="Props")
    updated = j.issue(key).fields.updated
    emu.advance(60)
    raw = Raw(emu)
    assert raw.put(f"issue/{key}/properties/jirasync", {"v": 1}).status_code == 201
    assert raw.put(f"issue/{key}/properties/jirasync", {"v": 2}).status_code == 200
    j.add_issue_property(key, "other", {"x": [1, 2]})
    assert sorted(p.key for p in j.issue_properties(key)) == ["jirasync", "other"]
    assert j.issue_property(key, "jirasync").value.v == 2
    assert j.issue(key).fields.updated == updated  # properties do not touch "updated"
    got = raw.get(f"issue/{key}", params={"properties": "*all,-other"}).json()["properties"]
    assert got == {"jirasync": {"v": 2}}
    assert raw.delete(f"issue/{key}/properties/other").status_code == 204
    r = raw.get(f"issue/{key}/properties/other")
    assert r.status_code == 404 and r.json()["errorMessages"] == ["The property with key 'other' does not exist."]


def test_changelog_and_updated_bumps(emu, raw):
    key = emu.create_issue("DEV", summary="Slow query", at=None)
    stamps = [emu.issue(key)["updated"]]
    for action in ("comment", "edit", "transition", "remotelink"):
        emu.advance(61)
        if action == "comment":
            raw.post(f"issue/{key}/comment", {"body": body_for(emu, "hi")})
        elif action == "edit":
            raw.put(f"issue/{key}", {"fields": {"priority": {"name": "Low"}}})
        elif action == "transition":
            emu.transition(key, "In Progress", as_account="dan")
        else:
            raw.post(f"issue/{key}/remotelink", {"object": {"url": "https://ci/1", "title": "CI run"}})
        stamps.append(emu.issue(key)["updated"])
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)

    emu.advance(61)
    assert raw.put(f"issue/{key}", {"fields": {"priority": {"name": "Low"}}}).status_code == 204
    assert emu.issue(key)["updated"] == stamps[-1]  # a no-op edit changes nothing

    hist = raw.get(f"issue/{key}", params={"expand": "changelog"}).json()["changelog"]
    fields = [i["field"] for h in hist["histories"] for i in h["items"]]
    assert {"priority", "status", "RemoteIssueLink"} <= set(fields) and "comment" not in fields
    if emu.mode == "cloud":
        assert hist["histories"][0]["items"][0]["field"] == "RemoteIssueLink"  # newest first
        page = raw.get(f"issue/{key}/changelog", params={"maxResults": 2}).json()
        assert page["total"] == 3 and page["isLast"] is False and len(page["values"]) == 2
        assert page["values"][0]["items"][0]["field"] == "priority"  # oldest first
    else:
        assert raw.get(f"issue/{key}/changelog").status_code == 404


def test_auth(emu):
    good = Raw(emu)
    wrong = Raw(emu, auth=("bot@example.com", "nope"))
    anon = Raw(emu, auth=None)
    r = wrong.get("myself")
    assert r.status_code == 401 and r.json() == {
        "errorMessages": ["You are not authenticated. Authentication required to perform this operation."],
        "errors": {},
    }
    assert (
        wrong.post(
            "issue", {"fields": {"project": {"key": "USER"}, "summary": "x", "issuetype": {"name": "Task"}}}
        ).status_code
        == 401
    )
    assert emu.issues() == []
    assert anon.get("serverInfo").status_code == 200  # as in Jira, serverInfo is public
    assert anon.get("myself").status_code == 401
    assert wrong.get("serverInfo").status_code == 401  # bad credentials are refused everywhere
    bearer = Raw(emu, auth=None)
    bearer.s.headers["Authorization"] = "Bearer alice-token"
    assert bearer.get("myself").json()["displayName"] == "Alice Moreau"
    login = "alice" if emu.mode == "server" else "alice@example.com"
    assert Raw(emu, auth=(login, "alice-token")).get("myself").status_code == 200
    assert good.get("myself").status_code == 200


def test_date_header_and_timestamps_follow_the_clock(emu, raw):
    emu.clock_offset_seconds = 86400 * 3
    r = raw.get("serverInfo")
    from email.utils import parsedate_to_datetime

    served = parsedate_to_datetime(r.headers["Date"]).timestamp()
    assert abs(served - emu.now().timestamp()) < 5
    key = emu.create_issue("USER", summary="future")
    created = parse_jira_ts(raw.get(f"issue/{key}").json()["fields"]["created"])
    assert abs(created / 1000 - emu.now().timestamp()) < 5


def test_deployment_specific_endpoints(emu, raw):
    if emu.mode == "cloud":
        r = raw.get("search", params={"jql": "project = USER"})
        assert r.status_code == 410 and "/rest/api/3/search/jql" in r.json()["errorMessages"][0]
        assert Raw(emu, "2").post("search", {"jql": "project = USER"}).status_code == 410
        assert raw.get("project/search").json()["total"] == 2
    else:
        assert raw.get("search/jql", params={"jql": "project = USER"}).status_code == 404
        assert raw.get("project/search").status_code == 404
    assert raw.get("nonexistent/thing").status_code == 404
    assert raw.put("serverInfo", {}).status_code == 405
    assert {p["key"] for p in raw.get("project").json()} == {"USER", "DEV"}
    assert raw.get("project/DEV").json()["lead"]["displayName"] == "Dan Okafor"
    names = [s["name"] for s in raw.get("status").json()]
    assert names.count("In Progress") == 1  # statuses are global
    assert {t["name"] for t in raw.get("issueLinkType").json()["issueLinkTypes"]} >= {
        "Relates",
        "Blocks",
        "Cloners",
        "Duplicate",
    }
    fields = {f["id"]: f for f in raw.get("field").json()}
    assert {"summary", "description", "status", "comment", "issuelinks", "updated"} <= set(fields)
    assert fields["comment"]["navigable"] is False
