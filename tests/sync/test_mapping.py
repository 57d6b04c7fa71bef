"""Statuses, priorities, issue types and people carried between two sites: the tables both
ways, names or ids, another language on one side, and people matched by table or e-mail or
left unassigned with a reason (never an error)."""

from __future__ import annotations

from jirasync_cli.config.pair import Mappings, MappingTables, StrMap
from jirasync_cli.sync.mapping import (
    Person,
    Ref,
    Table,
    dev_issue_type,
    find,
    map_user,
    map_value,
    table_problems,
    tables,
)

# The dev site's bot account speaks German; the user site is in English.
USER_STATUSES = [Ref("1", "Open"), Ref("3", "In Progress"), Ref("5", "Resolved"), Ref("10001", "Done")]
DEV_STATUSES = [Ref("10000", "Zu erledigen"), Ref("3", "In Arbeit"), Ref("10001", "Erledigt")]


def config_tables(**tables_: dict[str, str]) -> Mappings:
    back = tables_.pop("back", {})
    empty = {k: StrMap() for k in ("statuses", "priorities", "issue_types", "users")}
    return Mappings(
        **{**empty, **{k: StrMap(v) for k, v in tables_.items()}},
        dev_to_user=MappingTables(**{**empty, **{k: StrMap(v) for k, v in back.items()}}),
    )


def test_statuses_map_by_name_or_id_both_ways():
    table = Table({"Open": "Zu erledigen", "In Progress": "3", "done": "10001"})
    assert map_value(Ref("1", "Open"), table, DEV_STATUSES, to="dev").value == Ref("10000", "Zu erledigen")
    # the table's value is the dev status's id: found though its name is German
    assert map_value(Ref("3", "In Progress"), table, DEV_STATUSES, to="dev").value == Ref("3", "In Arbeit")
    # keys match case-insensitively, and by the source status's id as well as its name
    assert map_value(Ref("10001", "DONE"), table, DEV_STATUSES, to="dev").value == Ref("10001", "Erledigt")
    assert map_value(
        Ref("1", "whatever the bot sees"), Table({"1": "Zu erledigen"}), DEV_STATUSES, to="dev"
    ).value == Ref("10000", "Zu erledigen")
    # backwards: the table read the other way
    assert map_value(Ref("10000", "Zu erledigen"), table, USER_STATUSES, to="user").value == Ref("1", "Open")
    assert map_value(Ref("10001", "Erledigt"), table, USER_STATUSES, to="user").value == Ref("10001", "Done")


def test_a_status_without_an_entry_keeps_its_name_or_says_why_not():
    table = Table({})
    english = [Ref("10000", "To Do"), Ref("3", "In Progress"), Ref("10001", "Done")]
    assert map_value(Ref("77", "in progress"), table, english, to="dev").value == Ref("3", "In Progress")
    missing = map_value(Ref("5", "Resolved"), table, DEV_STATUSES, to="dev", what="status")
    assert missing.value is None
    assert missing.reason == "status 'Resolved' has no mapping and the dev side has none of that name"
    broken = map_value(Ref("1", "Open"), Table({"Open": "Offen"}), DEV_STATUSES, to="dev", what="status")
    assert broken.value is None and "maps to 'Offen', which the dev side does not offer" in str(broken.reason)


def test_dev_to_user_entries_settle_many_to_one_tables():
    table = Table({"Open": "Zu erledigen", "Waiting for Customer": "Zu erledigen"}, {"Zu erledigen": "Open"})
    assert map_value(Ref("10000", "Zu erledigen"), table, USER_STATUSES, to="user").value == Ref("1", "Open")
    assert table.lookup("Waiting for Customer", "dev") == "Zu erledigen"


def test_priorities_and_issue_types_use_the_same_tables():
    offered = [Ref("1", "Blocker"), Ref("2", "Critical"), Ref("3", "Major")]
    table = Table({"Highest": "Blocker", "High": "Critical"})
    assert map_value("Highest", table, offered, to="dev").value == Ref("1", "Blocker")
    assert map_value("Major", table, offered, to="dev").value == Ref("3", "Major")
    assert map_value("Critical", table, [Ref("2", "High")], to="user").value == Ref("2", "High")
    assert map_value("Low", table, offered, to="dev", what="priority").reason == (
        "priority 'Low' has no mapping and the dev side has none of that name"
    )


def test_find_prefers_a_name_over_an_id():
    offered = [Ref("3", "Review"), Ref("4", "3")]
    assert find("3", offered) == Ref("4", "3")
    assert find("review", offered) == Ref("3", "Review")
    assert find("nothing", offered) is None


DEV_PEOPLE = [
    Person("dan", "Dan Okafor", "dan@ours.example", "JIRAUSER10003"),
    Person("erin", "Erin Castillo", "erin@ours.example", "JIRAUSER10004"),
    Person("robert", "Robert Lind", "robert@ours.example", "JIRAUSER10005"),
]


def test_users_by_table_then_e_mail_else_unassigned_with_a_reason():
    table = Table({"bob@customer.example": "robert", "557058:alice": "erin@ours.example"})
    bob = Person("557058:bob", "Bob Lindqvist", "bob@customer.example")
    assert map_user(bob, table, DEV_PEOPLE, to="dev").person == DEV_PEOPLE[2]
    assert map_user(bob, table, DEV_PEOPLE, to="dev").via == "table"
    # Cloud hides Alice's e-mail: her account id is in the table
    alice = Person("557058:alice", "Alice Moreau", None)
    assert map_user(alice, table, DEV_PEOPLE, to="dev").person == DEV_PEOPLE[1]
    # same e-mail on both sites, no table entry
    dan = Person("557058:dan", "Dan Okafor", "DAN@ours.example")
    hit = map_user(dan, table, DEV_PEOPLE, to="dev")
    assert (hit.person, hit.via, hit.reason) == (DEV_PEOPLE[0], "email", None)
    # hidden e-mail, no entry: nobody, and a reason the caller can write down
    ghost = map_user(Person("557058:zed", "Zed Hidden", None), table, DEV_PEOPLE, to="dev")
    assert ghost.person is None and ghost.via == "none"
    assert ghost.reason == (
        "user 'Zed Hidden' has no visible e-mail address and no entry in mappings.users; left unassigned"
    )
    stranger = map_user(Person("557058:x", "Xavier", "x@customer.example"), table, DEV_PEOPLE, to="dev")
    assert stranger.person is None and "same e-mail address on the dev side" in str(stranger.reason)
    gone = map_user(bob, Table({"bob@customer.example": "nobody"}), DEV_PEOPLE, to="dev")
    assert gone.person is None and "'nobody', who is not a user on the dev side" in str(gone.reason)


def test_users_back_to_the_user_side_through_the_same_table():
    table = Table({"557058:bob": "robert"})
    user_people = [Person("557058:bob", "Bob Lindqvist", None)]
    back = map_user(
        Person("robert", "Robert Lind", "robert@ours.example", "JIRAUSER10005"), table, user_people, to="user"
    )
    assert back.person == user_people[0] and back.via == "table"


def test_validation_names_the_field_and_the_values():
    assert table_problems("statuses", {"Done": "Erledigt", "Open": "Offen"}) == []
    assert table_problems("users", {"bob@x.example": " "}) == ["mappings.users.bob@x.example: the value is empty"]
    assert table_problems("priorities", {"High": "Critical", "high": "Major"}) == [
        "mappings.priorities: 'High' and 'high' are the same value (case is ignored)"
    ]
    assert table_problems("issue_types", {"Bug": "Defect", "Incident": "defect"}) == [
        "mappings.issueTypes: 'Bug' and 'Incident' both map to 'Defect', so 'Defect' on the dev side has no single "
        "user-side value; add 'Defect' to mappings.devToUser.issueTypes"
    ]
    assert table_problems("issue_types", {"Bug": "Defect", "Incident": "defect"}, {"DEFECT": "Bug"}) == []
    assert table_problems("statuses", {}, {"Erledigt": ""}) == [
        "mappings.devToUser.statuses.Erledigt: the value is empty"
    ]


def test_tables_of_a_pair_config():
    built = tables(
        config_tables(
            statuses={"Done": "Erledigt"},
            users={"a@x.example": "b@y.example"},
            back={"priorities": {"Blocker": "Highest"}},
        )
    )
    assert set(built) == {"statuses", "priorities", "issue_types", "users"}
    assert built["statuses"].lookup("done", "dev") == "Erledigt"
    assert built["statuses"].lookup("erledigt", "user") == "Done"
    assert built["priorities"].lookup("Blocker", "user") == "Highest"
    assert built["issue_types"].lookup("Bug", "dev") is None


def test_a_dev_issue_takes_the_mapped_type_else_the_configured_one():
    mappings = config_tables(issue_types={"Bug": "Defect", "Story": "Feature"})
    assert dev_issue_type(mappings, "Bug", "Task") == "Defect"
    assert dev_issue_type(mappings, "bug", "Task") == "Defect"  # case is ignored
    assert dev_issue_type(mappings, "Story", "Task") == "Feature"
    assert dev_issue_type(mappings, "Epic", "Task") == "Task"  # no entry: devIssueType
    assert dev_issue_type(config_tables(), "Bug", "Chore") == "Chore"
