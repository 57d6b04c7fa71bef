"""Create and edit screens: only fields on a project's screen can be set, as in real Jira."""

from __future__ import annotations

import pytest
import requests

from jirasync_cli.emulator import EmulatorError, JiraEmulator, Workflow
from jirasync_cli.emulator.screens import Screens

from .helpers import Raw, client
from .openapi import SPEC, errors


def cannot_set(field: str) -> str:
    return f"Field '{field}' cannot be set. It is not on the appropriate screen, or unknown."


def create(raw: Raw, project: str = "DEV", issuetype: str = "Task", *, update: dict | None = None, **fields):
    body = {"fields": {"project": {"key": project}, "issuetype": {"name": issuetype}, "summary": "New", **fields}}
    if update:
        body["update"] = update
    return raw.post("issue", body)


def link_to(key: str, type_name: str = "Relates") -> dict:
    return {"issuelinks": [{"add": {"type": {"name": type_name}, "outwardIssue": {"key": key}}}]}


def test_default_screen_refuses_links_on_create_and_edit_but_takes_properties(emu, raw):
    emu.set_screens("default", project="DEV")
    user = emu.create_issue("USER", summary="Report")
    r = create(raw, update=link_to(user), labels=["x"])
    assert r.status_code == 400
    assert r.json() == {"errorMessages": [], "errors": {"issuelinks": cannot_set("issuelinks")}}
    assert emu.issues("DEV") == []  # nothing created

    r = raw.post(
        "issue",
        {
            "fields": {
                "project": {"key": "DEV"},
                "issuetype": {"name": "Task"},
                "summary": "ok",
                "labels": ["x"],
                "priority": {"name": "High"},
            },
            "properties": [{"key": "jirasync.source", "value": {"userKey": user}}],
        },
    )
    assert r.status_code == 201
    dev = r.json()["key"]
    assert raw.get(f"issue/{dev}/properties/jirasync.source").json()["value"] == {"userKey": user}

    r = raw.put(f"issue/{dev}", {"update": link_to(user)})
    assert r.status_code == 400 and r.json()["errors"] == {"issuelinks": cannot_set("issuelinks")}
    assert raw.put(f"issue/{dev}", {"fields": {"summary": "renamed", "labels": ["y"]}}).status_code == 204
    assert emu.issue(dev)["summary"] == "renamed"
    # Linking itself is not a screen matter: POST /issueLink works on any site
    assert (
        raw.post(
            "issueLink", {"type": {"name": "Relates"}, "inwardIssue": {"key": dev}, "outwardIssue": {"key": user}}
        ).status_code
        == 201
    )


def test_minimal_screen_names_every_refused_field(emu, raw):
    emu.set_screens("minimal", project="DEV")
    r = create(raw, description=None, labels=["a"], priority={"name": "High"}, update=link_to("USER-1"))
    assert r.status_code == 400
    assert r.json()["errors"] == {f: cannot_set(f) for f in ("description", "labels", "priority", "issuelinks")}
    assert create(raw).status_code == 201


def test_screens_per_issue_type_and_instance_default():
    emu = JiraEmulator(mode="server", screens="all").start()
    try:
        emu.add_project("USER", workflow=Workflow.user_default())
        emu.add_project("DEV", workflow=Workflow.dev_default(), screens={"Bug": "minimal", "*": "default"})
        raw = Raw(emu)
        user = emu.create_issue("USER", summary="Report")
        assert create(raw, "USER", update=link_to(user)).status_code == 201  # instance default: all
        assert create(raw, "DEV", "Story", labels=["a"]).status_code == 201
        errors = create(raw, "DEV", "Story", update=link_to(user)).json()["errors"]
        assert errors == {"issuelinks": cannot_set("issuelinks")}
        assert create(raw, "DEV", "Bug", labels=["a"]).json()["errors"] == {"labels": cannot_set("labels")}
        emu.set_screens(None, project="DEV")  # back to the instance default
        assert create(raw, "DEV", "Bug", update=link_to(user)).status_code == 201
        with pytest.raises(EmulatorError, match="unknown screen field"):
            emu.set_screens(["summary", "colour"], project="DEV")
        with pytest.raises(EmulatorError, match="unknown screen preset"):
            JiraEmulator(screens="everything")
    finally:
        emu.stop()


def test_edit_screen_is_separate_from_create_screen(emu, raw):
    emu.set_screens({"create": ["summary"], "edit": ["summary", "labels", "issuelinks"]}, project="DEV")
    assert create(raw, labels=["a"]).json()["errors"] == {"labels": cannot_set("labels")}
    dev = create(raw).json()["key"]
    user = emu.create_issue("USER", summary="Report")
    assert raw.put(f"issue/{dev}", {"update": {**link_to(user), "labels": [{"add": "b"}]}}).status_code == 204
    assert raw.put(f"issue/{dev}", {"fields": {"priority": {"name": "Low"}}}).json()["errors"] == {
        "priority": cannot_set("priority")
    }
    meta = raw.get(f"issue/{dev}/editmeta").json()["fields"]
    assert set(meta) == {"summary", "issuetype", "labels", "issuelinks", "comment"}
    assert meta["labels"]["operations"] == ["add", "set", "remove"]


def _fields_page(body: dict, cloud: bool) -> list[dict]:
    if cloud:
        assert set(body) == {"startAt", "maxResults", "total", "fields"}
        return body["fields"]
    assert set(body) == {"startAt", "maxResults", "total", "isLast", "values"}
    return body["values"]


def test_createmeta_lists_issue_types_and_the_screen_fields(emu, raw):
    cloud = emu.mode == "cloud"
    emu.set_screens("default", project="DEV")
    types = raw.get("issue/createmeta/DEV/issuetypes").json()
    listed = types["issueTypes"] if cloud else types["values"]
    assert [t["name"] for t in listed] == ["Epic", "Task", "Story", "Bug"]  # no sub-task without a parent
    assert types["total"] == 4 and types["startAt"] == 0
    task = next(t["id"] for t in listed if t["name"] == "Task")

    fields = _fields_page(raw.get(f"issue/createmeta/DEV/issuetypes/{task}").json(), cloud)
    by_id = {f["fieldId"]: f for f in fields}
    assert set(by_id) == {
        "summary",
        "issuetype",
        "project",
        "description",
        "priority",
        "labels",
        "assignee",
        "reporter",
    }
    assert by_id["summary"]["required"] and not by_id["labels"]["required"]
    assert [v["name"] for v in by_id["priority"]["allowedValues"]] == ["Highest", "High", "Medium", "Low", "Lowest"]
    assert by_id["project"]["allowedValues"][0]["key"] == "DEV"
    assert by_id["labels"]["operations"] == ["add", "set", "remove"]

    emu.set_screens("all", project="DEV")
    page = raw.get(f"issue/createmeta/DEV/issuetypes/{task}", params={"maxResults": 3, "startAt": 7}).json()
    rest = _fields_page(page, cloud)
    assert page["total"] == 9 and [f["fieldId"] for f in rest] == ["reporter", "issuelinks"]
    if not cloud:
        assert page["isLast"] is True

    missing = raw.get("issue/createmeta/NOPE/issuetypes")
    assert missing.status_code == 404
    assert raw.get("issue/createmeta/DEV/issuetypes/10002").status_code == 404  # sub-task


@pytest.mark.skipif(not SPEC.exists(), reason=f"Jira OpenAPI description not found at {SPEC}")
def test_cloud_meta_shapes_match_the_openapi_spec(cloud):
    raw = Raw(cloud)
    assert not errors(raw.get("issue/createmeta/DEV/issuetypes").json(), "PageOfCreateMetaIssueTypes")
    assert not errors(raw.get("issue/createmeta/DEV/issuetypes/10001").json(), "PageOfCreateMetaIssueTypeWithField")
    dev = cloud.create_issue("DEV", summary="x")
    assert not errors(raw.get(f"issue/{dev}/editmeta").json(), "IssueUpdateMetadata")


def test_control_api_and_python_client_see_the_same_screens(emu):
    s = requests.Session()
    r = s.put(f"{emu.url}/_emulator/screens", json={"project": "DEV", "screens": "minimal"}, timeout=5)
    assert r.status_code == 200 and r.json()["projects"]["DEV"] == {"*": Screens.of("minimal").to_dict()}
    r = s.post(f"{emu.url}/_emulator/projects", json={"key": "OPS", "workflow": "dev", "screens": "all"}, timeout=5)
    assert r.status_code == 201
    assert emu.screens_summary()["projects"]["OPS"] == {"*": Screens.of("all").to_dict()}
    assert s.put(f"{emu.url}/_emulator/screens", json={"screens": "bogus"}, timeout=5).status_code == 400
    # the jira library's create_issue goes through the same check
    j = client(emu)
    with pytest.raises(Exception, match="cannot be set"):
        j.create_issue(
            fields={"project": {"key": "DEV"}, "issuetype": {"name": "Task"}, "summary": "x", "labels": ["a"]}
        )
