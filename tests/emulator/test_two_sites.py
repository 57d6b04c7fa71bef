"""Two sites at once, as a cross-site pair sees them: a Cloud site and a Data Center site on
their own ports, with their own clocks, zones, accounts and (German) status names, and the
e-mail addresses each site shows or hides, all over HTTP through the real jira client."""

from __future__ import annotations

from datetime import datetime

import pytest
import requests
from jira import JIRA

from jirasync_cli.emulator import Account, EmulatorError, JiraEmulator, Status, Workflow, default_accounts, two_sites
from jirasync_cli.emulator.sites import DC_BOT_TOKEN
from jirasync_cli.sync.mapping import Person, Ref, Table, map_user, map_value

from .helpers import BOT, Raw

GERMAN = ["Zu erledigen", "In Arbeit", "In Prüfung", "Erledigt"]


def cloud_client(emu: JiraEmulator) -> JIRA:
    return JIRA(emu.url, basic_auth=BOT, options={"rest_api_version": "3"}, max_retries=0, timeout=10)


def dc_client(emu: JiraEmulator) -> JIRA:
    return JIRA(emu.url, token_auth=DC_BOT_TOKEN, options={"rest_api_version": "2"}, max_retries=0, timeout=10)


def dc_raw(emu: JiraEmulator) -> Raw:
    raw = Raw(emu, "2", auth=None)
    raw.s.headers["Authorization"] = f"Bearer {DC_BOT_TOKEN}"
    return raw


def jira_time(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f%z")


def test_two_sites_answer_as_cloud_and_data_center_with_their_own_clocks_and_zones(sites):
    cloud, dc = cloud_client(sites.cloud), dc_client(sites.dc)
    assert sites.cloud.port != sites.dc.port
    cloud_info, dc_info = cloud.server_info(), dc.server_info()
    assert (cloud_info["deploymentType"], dc_info["deploymentType"]) == ("Cloud", "Server")
    skew = (jira_time(dc_info["serverTime"]) - jira_time(cloud_info["serverTime"])).total_seconds()
    assert -100 < skew < -90, "the Data Center clock is 97 s behind"

    user_key = sites.cloud.create_issue("CUS", "Login fails", as_account="bob")
    dev_key = sites.dc.create_issue("DEV", "Fix login", as_account="dan")
    assert cloud.issue(user_key).fields.created.endswith("+0100")  # Europe/Berlin in November
    assert dc.issue(dev_key).fields.created.endswith("-0500")  # America/New_York
    # Each site knows only its own issues and its own bot.
    with pytest.raises(Exception, match="404"):
        dc.issue(user_key)
    assert cloud.myself()["accountId"] == "557058:jirasync-bot" and dc.myself()["name"] == "jirasync-dc-bot"


def test_a_site_in_german_names_its_statuses_and_transitions_in_german(sites):
    dc = dc_client(sites.dc)
    raw = dc_raw(sites.dc)
    statuses = raw.get("project/DEV/statuses").json()[0]["statuses"]
    assert [s["name"] for s in statuses] == GERMAN
    assert {s["name"]: s["id"] for s in statuses}["Erledigt"] == "10001"
    assert raw.get("status/10001").json()["name"] == "Erledigt"
    assert raw.get("status/erledigt").json()["id"] == "10001"

    key = dc.create_issue(project="DEV", summary="Fix login", issuetype={"name": "Task"}).key
    assert dc.issue(key).fields.status.name == "Zu erledigen"
    names = {t["name"]: t["to"]["name"] for t in dc.transitions(key)}
    assert names == {"Vorgang beginnen": "In Arbeit"}
    dc.transition_issue(key, "Vorgang beginnen")
    done = next(t for t in dc.transitions(key) if t["to"]["name"] == "Erledigt")
    dc.transition_issue(key, done["id"], fields={"resolution": {"name": "Fixed"}})
    status = dc.issue(key).fields.status
    assert (status.name, status.id, status.statusCategory.key) == ("Erledigt", "10001", "done")

    # The Cloud site's "Done"-like status reaches the German one through a mapping by id.
    cloud_statuses = Raw(sites.cloud).get("project/CUS/statuses").json()[0]["statuses"]
    user_statuses = [Ref(s["id"], s["name"]) for s in cloud_statuses]
    resolved = next(r for r in user_statuses if r.name == "Resolved")
    dev_statuses = [Ref(s["id"], s["name"]) for s in statuses]
    assert map_value(resolved, Table({"Resolved": "10001"}), dev_statuses, to="dev").value == Ref("10001", "Erledigt")


def test_the_python_api_walks_a_translated_workflow():
    with JiraEmulator(mode="server") as emu:
        emu.add_project("DEV", workflow=Workflow.dev_german())
        key = emu.create_issue("DEV", "Ticket", status="In Prüfung", as_account="dan")
        assert emu.issue(key)["status"] == "In Prüfung"
        emu.transition(key, "Erledigt", as_account="dan")
        assert emu.issue(key)["status_category"] == "done"
        # An English project on the same site cannot take ids the German statuses hold.
        with pytest.raises(EmulatorError, match="status id 10001 of 'Done' is taken"):
            emu.add_project("ENG", workflow=Workflow.dev_default().translated({}, {"Done": "10001"}))


def test_translated_workflows_keep_ids_through_persistence():
    wf = Workflow.user_default().translated({"Open": "Offen", "Resolve": "Lösen"}, {"Open": "1"}, name="Support")
    again = Workflow.from_dict(wf.to_dict())
    assert [(s.name, s.id) for s in again.statuses][:2] == [("Offen", "1"), ("Will Do", None)]
    assert again.initial == "Offen"
    assert next(t for t in again.transitions if t.id == "51").name == "Lösen"
    assert "Offen" in next(t for t in again.transitions if t.id == "21").sources


def test_cloud_hides_other_peoples_e_mail_and_data_center_shows_it(sites):
    cloud, dc = Raw(sites.cloud), dc_raw(sites.dc)
    dan_cloud = sites.cloud.accounts.require("dan")
    assert "emailAddress" not in cloud.get(f"user?accountId={dan_cloud.account_id}").json()
    assert cloud.get("myself").json()["emailAddress"] == "bot@example.com"  # one's own, always
    key = sites.cloud.create_issue("CUS", "Printer on fire", as_account="bob")
    assert "emailAddress" not in cloud.get(f"issue/{key}").json()["fields"]["reporter"]
    assert dc.get("user?username=dan").json()["emailAddress"] == "dan@example.com"


def test_a_cloud_profile_can_make_its_e_mail_public():
    people = default_accounts()
    people[1] = Account(
        "alice", "Alice Moreau", "alice@example.com", "alice-token", role="support agent", email_visible=True
    )
    with JiraEmulator(mode="cloud", accounts=people) as emu:
        alice = emu.accounts.require("alice")
        bob = emu.accounts.require("bob")
        assert Raw(emu).get(f"user?accountId={alice.account_id}").json()["emailAddress"] == "alice@example.com"
        assert "emailAddress" not in Raw(emu).get(f"user?accountId={bob.account_id}").json()


def test_people_are_matched_across_sites_by_what_each_site_shows(sites):
    """From Data Center (e-mail shown) to Cloud (e-mail hidden) only the table helps; from
    Cloud to Data Center the hidden address leaves the table or nobody."""
    cloud_people = [
        Person(u["accountId"], u["displayName"], u.get("emailAddress"))
        for u in Raw(sites.cloud).get("user/search?query=d").json()
    ]
    dc_people = [
        Person(u["name"], u["displayName"], u.get("emailAddress"), u["key"])
        for u in dc_raw(sites.dc).get("user/search?username=d").json()
    ]
    dan_dc = next(p for p in dc_people if p.id == "dan")
    dan_cloud = next(p for p in cloud_people if p.display_name == "Dan Okafor")
    assert dan_dc.email == "dan@example.com" and dan_cloud.email is None
    assert map_user(dan_dc, Table({}), cloud_people, to="user").person is None
    table = Table({dan_cloud.id: "dan"})
    assert map_user(dan_dc, table, cloud_people, to="user").person == dan_cloud
    assert map_user(dan_cloud, table, dc_people, to="dev").person == dan_dc


def test_sites_can_be_configured_and_stop_cleanly():
    pair = two_sites(
        cloud_timezone="Asia/Tokyo", dc_timezone="UTC", dc_clock_offset_seconds=3600, index_lag_seconds=2.0
    )
    with pair:
        user_site, dev_site = pair.add_pair_projects(
            "SUP", "ENG", user_on_cloud=False, dev_workflow=Workflow.dev_default()
        )
        assert (user_site.mode, dev_site.mode) == ("server", "cloud")
        assert pair.cloud.index_lag_seconds == pair.dc.index_lag_seconds == 2.0
        assert pair.dc.summary()["timezone"] == "UTC" and pair.cloud.now().utcoffset().total_seconds() == 9 * 3600
        urls = [site.url for site in pair]
    for url in urls:
        with pytest.raises(requests.ConnectionError):
            requests.get(url + "/rest/api/2/serverInfo", timeout=2)


def test_another_process_can_create_a_german_project_over_the_control_api():
    with JiraEmulator(mode="server") as emu:
        base = f"{emu.url}/_emulator"
        created = requests.post(f"{base}/projects", json={"key": "ENTW", "workflow": "dev-de"}, timeout=5)
        assert created.status_code == 201 and created.json()["workflow"] == "Entwicklungs-Workflow"
        own = requests.post(
            f"{base}/projects",
            timeout=5,
            json={
                "key": "OWN",
                "workflow": {
                    "name": "Eigener",
                    "statuses": [
                        {"name": "Neu", "category": "new", "id": "1"},
                        {"name": "Fertig", "category": "done", "id": "10001"},
                    ],
                    "transitions": [{"id": "11", "name": "Fertig", "to": "Fertig"}],
                },
            },
        )
        assert own.status_code == 400 and "status id 10001 of 'Fertig' is taken" in own.text
        assert "Neu" not in emu.state.statuses, "a refused project leaves no status behind"
        key = requests.post(f"{base}/issues", json={"project": "ENTW", "summary": "x", "as": "dan"}, timeout=5).json()[
            "key"
        ]
        moved = requests.post(f"{base}/issues/{key}/transition", json={"status": "In Arbeit", "as": "dan"}, timeout=5)
        assert moved.json()["status"] == "In Arbeit"
        assert emu.state.status_id("In Arbeit") == "3"


def test_an_explicit_status_id_wins_over_a_well_known_one():
    with JiraEmulator(mode="cloud") as emu:
        emu.add_project("ABC", workflow=Workflow("w", [Status("Open", "new"), Status("Neu", "new", id="1")], []))
        assert emu.state.status_id("Neu") == "1" and emu.state.status_id("Open") != "1"
