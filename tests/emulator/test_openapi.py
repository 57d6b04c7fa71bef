"""Every emulated endpoint's JSON against the Jira Cloud OpenAPI schemas.

Response schemas mostly forbid additional properties, so an invented or misspelled key fails
here. Server-mode (v2) responses are checked against the same families: its user objects use
``name``/``key``, which the schemas allow.
"""

from __future__ import annotations

import pytest

from tests.helpers import skip_or_fail

from .helpers import Raw, adf_text, body_for
from .openapi import SPEC, errors, response_schema


@pytest.fixture(autouse=True)
def _spec_present() -> None:
    if not SPEC.exists():
        skip_or_fail(f"Jira OpenAPI description not found at {SPEC} (set JIRASYNC_OPENAPI_SPEC)")


FIELD_SCHEMAS = {
    "status": "StatusDetails",
    "priority": "Priority",
    "issuetype": "IssueTypeDetails",
    "project": "ProjectDetails",
    "reporter": "UserDetails",
    "creator": "UserDetails",
    "assignee": "UserDetails",
    "resolution": "Resolution",
    "comment": "PageOfComments",
}


def assert_valid(instance, schema, what: str) -> None:
    problems = errors(instance, schema)
    assert not problems, f"{what}: " + "; ".join(problems[:10])


def assert_issue_fields(issue: dict, what: str) -> None:
    """IssueBean leaves ``fields`` open; check each known field against its own schema."""
    for name, value in issue.get("fields", {}).items():
        if value is None:
            continue
        if name in FIELD_SCHEMAS:
            assert_valid(value, FIELD_SCHEMAS[name], f"{what} fields.{name}")
        elif name == "issuelinks":
            # On an issue only the *other* side is present, so IssueLink's "required" (written
            # for the create request) cannot hold; everything else about the shape must.
            for link in value:
                assert ("inwardIssue" in link) != ("outwardIssue" in link) and "id" in link and "type" in link
                shape = dict(link)
                shape.setdefault("inwardIssue", shape.get("outwardIssue"))
                shape.setdefault("outwardIssue", shape.get("inwardIssue"))
                assert_valid(shape, "IssueLink", f"{what} issuelinks")
        elif name == "labels":
            assert all(isinstance(x, str) for x in value)
        elif name in ("created", "updated", "resolutiondate", "statuscategorychangedate"):
            assert isinstance(value, str) and value[-5] in "+-"


@pytest.fixture(params=[("cloud", "3"), ("cloud", "2"), ("server", "2")], ids=["cloud-v3", "cloud-v2", "server-v2"])
def setup(request, make_emu):
    mode, version = request.param
    emu = make_emu(mode)
    raw = Raw(emu, version)
    emu.set_screens("all", project="DEV")  # the create request below links on create
    user = emu.create_issue(
        "USER",
        summary="Customer cannot log in",
        description="Steps:\n* open\n* fail",
        labels=["auth"],
        priority="High",
        status="Resolved",
        as_account="bob",
    )
    dev = emu.create_issue("DEV", summary="Session cache bug", assignee="dan", status="In Progress")
    emu.link(dev, user, "Blocks")
    emu.add_comment(user, "We are looking into it", as_account="alice")
    emu.edit(user, {"summary": "Customer cannot log in after reset"}, as_account="alice")
    emu.set_property(user, "jirasync.source", {"pair": "p1"})
    yield emu, raw, version, user, dev


def test_metadata_endpoints(setup):
    emu, raw, version, user, dev = setup
    assert_valid(raw.get("serverInfo").json(), "ServerInformation", "serverInfo")
    assert_valid(raw.get("myself").json(), "User", "myself")
    for path, name in [
        ("field", "FieldDetails"),
        ("project", "Project"),
        ("status", "StatusDetails"),
        ("priority", "Priority"),
        ("issuetype", "IssueTypeDetails"),
        ("resolution", "Resolution"),
    ]:
        body = raw.get(path).json()
        assert isinstance(body, list) and body, path
        for item in body:
            assert_valid(item, name, path)
    assert_valid(raw.get("project/USER").json(), "Project", "project/USER")
    assert_valid(raw.get("issueLinkType").json(), "IssueLinkTypes", "issueLinkType")
    assert_valid(raw.get("issueLinkType/10000").json(), "IssueLinkType", "issueLinkType/10000")
    assert_valid(raw.get("status/3").json(), "StatusDetails", "status/3")
    if emu.mode == "cloud":
        assert_valid(raw.get("project/search", params={"maxResults": 1}).json(), "PageBeanProject", "project/search")
        dan = raw.get("user", params={"accountId": emu.accounts.get("dan").account_id})
    else:
        dan = raw.get("user", params={"username": "dan"})
    assert_valid(dan.json(), "User", "GET user")
    found = raw.get("user/search", params={"query": "dan"}).json()
    assert [u["displayName"] for u in found] == ["Dan Okafor"]
    for item in found:
        assert_valid(item, "User", "user/search")


def test_issue_endpoints(setup):
    emu, raw, version, user, dev = setup
    issue = raw.get(
        f"issue/{user}", params={"expand": "changelog,names,schema,transitions", "properties": "*all"}
    ).json()
    assert_valid(issue, "IssueBean", "GET issue")
    assert_issue_fields(issue, "GET issue")
    assert issue["properties"] == {"jirasync.source": {"pair": "p1"}}
    assert_issue_fields(raw.get(f"issue/{dev}").json(), "GET dev issue")

    payload = {
        "fields": {
            "project": {"key": "DEV"},
            "summary": "New",
            "issuetype": {"name": "Task"},
            "description": body_for(emu, "text") if version == "3" else "text",
        },
        "update": {"issuelinks": [{"add": {"type": {"name": "Relates"}, "outwardIssue": {"key": user}}}]},
        "properties": [{"key": "k", "value": {"v": 1}}],
    }
    assert_valid(payload, "IssueUpdateDetails", "create request")
    r = raw.post("issue", payload)
    assert r.status_code == 201
    assert_valid(r.json(), "CreatedIssue", "POST issue")
    bad = raw.post("issue", {"fields": {"project": {"key": "DEV"}}})
    assert bad.status_code == 400
    assert_valid(bad.json(), "ErrorCollection", "POST issue 400")
    assert_valid(raw.get("issue/NOPE-1").json(), "ErrorCollection", "GET issue 404")
    assert_valid(Raw(emu, version, auth=("x", "y")).get("myself").json(), "ErrorCollection", "401")

    transitions = raw.get(f"issue/{dev}/transitions").json()
    assert_valid(transitions, "Transitions", "transitions")
    body = {"transition": {"id": transitions["transitions"][0]["id"]}}
    assert_valid(body, "IssueUpdateDetails", "transition request")
    assert raw.post(f"issue/{dev}/transitions", body).status_code == 204

    assert_valid(raw.get(f"issue/{user}/properties").json(), "PropertyKeys", "property keys")
    assert_valid(raw.get(f"issue/{user}/properties/jirasync.source").json(), "EntityProperty", "property")
    if emu.mode == "cloud":
        assert_valid(raw.get(f"issue/{user}/changelog").json(), "PageBeanChangelog", "changelog")


def test_comment_and_link_endpoints(setup):
    emu, raw, version, user, dev = setup
    page = raw.get(f"issue/{user}/comment", params={"expand": "properties"}).json()
    assert_valid(page, "PageOfComments", "comments")
    request = {
        "body": adf_text("Thanks") if version == "3" else "Thanks",
        "properties": [{"key": "jirasync", "value": {"intent": "x"}}],
    }
    assert_valid(request, "Comment", "comment request")
    created = raw.post(f"issue/{user}/comment", request).json()
    assert_valid(created, "Comment", "POST comment")
    assert_valid(raw.get(f"issue/{user}/comment/{created['id']}").json(), "Comment", "GET comment")
    assert_valid(
        raw.put(f"issue/{user}/comment/{created['id']}", {"body": request["body"]}).json(), "Comment", "PUT comment"
    )

    link_id = emu.issue(user)["links"][0]["id"]
    assert_valid(raw.get(f"issueLink/{link_id}").json(), "IssueLink", "GET issueLink")
    link_request = {"type": {"name": "Duplicate"}, "inwardIssue": {"key": dev}, "outwardIssue": {"key": user}}
    assert_valid(link_request, "LinkIssueRequestJsonBean", "issueLink request")
    assert raw.post("issueLink", link_request).status_code == 201

    remote = {
        "globalId": "sync:1",
        "application": {"type": "jirasync", "name": "jirasync"},
        "relationship": "mirrors",
        "object": {
            "url": "https://example.com/1",
            "title": "Mirror",
            "icon": {"url16x16": "https://example.com/i.png"},
        },
    }
    assert_valid(remote, "RemoteIssueLinkRequest", "remote link request")
    ident = raw.post(f"issue/{user}/remotelink", remote).json()
    assert_valid(ident, "RemoteIssueLinkIdentifies", "POST remotelink")
    for item in raw.get(f"issue/{user}/remotelink").json():
        assert_valid(item, "RemoteIssueLink", "GET remotelink")
    assert_valid(raw.get(f"issue/{user}/remotelink/{ident['id']}").json(), "RemoteIssueLink", "GET remotelink/id")


def test_search_endpoints(setup):
    emu, raw, version, user, dev = setup
    emu.search_comment_limit = 1
    if emu.mode == "cloud":
        request = {
            "jql": "project in (USER, DEV) ORDER BY key",
            "fields": ["*all"],
            "maxResults": 1,
            "expand": "changelog,names",
            "properties": ["jirasync.source"],
        }
        assert_valid(request, "SearchAndReconcileRequestBean", "search request")
        page = raw.post("search/jql", request).json()
        assert_valid(page, "SearchAndReconcileResults", "POST search/jql")
        assert_issue_fields(page["issues"][0], "search/jql")
        ids = raw.get("search/jql", params={"jql": "project = USER"}).json()
        assert_valid(ids, "SearchAndReconcileResults", "GET search/jql ids")
        gone = raw.get("search", params={"jql": "project = USER"})
        assert gone.status_code == 410
        assert_valid(gone.json(), "ErrorCollection", "410")
        assert_valid(
            raw.post("search/approximate-count", {"jql": "project = USER"}).json(),
            response_schema("/rest/api/3/search/approximate-count", "post", "200"),
            "approximate-count",
        )
    else:
        page = raw.get(
            "search", params={"jql": "project in (USER, DEV)", "fields": "*all", "expand": "changelog"}
        ).json()
        assert_valid(page, "SearchResults", "server search")
        for issue in page["issues"]:
            assert_issue_fields(issue, "server search")
    bad = raw.get("search/jql" if emu.mode == "cloud" else "search", params={"jql": "foo = bar"})
    assert bad.status_code == 400
    assert_valid(bad.json(), "ErrorCollection", "JQL error")


def test_the_schemas_catch_invented_keys():
    """Guard for the guard: the validator really rejects extra keys and wrong types."""
    assert errors({"id": "1", "key": "A-1", "surprise": True}, "IssueBean")
    assert errors({"errorMessages": "not a list"}, "ErrorCollection")
    assert errors({"id": "1", "author": {"accountId": "a", "bogus": 1}}, "Comment")  # nested, through allOf
    assert not errors({"errorMessages": [], "errors": {}}, "ErrorCollection")
