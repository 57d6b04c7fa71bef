"""Action kinds, intents, notes and audit entries: typed in the code, the same documents in MongoDB."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from jirasync_cli.jira.models import CommentData
from jirasync_cli.sync.actions import (
    AddComment,
    CheckUserIssue,
    CreateDevIssue,
    EditDevIssue,
    LinkIssues,
    MirrorComment,
    Note,
    NoteKind,
    TransitionIssue,
    intent_of,
)
from jirasync_cli.sync.apply import Done, UnitResult, unit_audit
from jirasync_cli.sync.records import ActionKind, AuditEntry, AuditEvent, Intent, IntentKind, Outcome

AT = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def test_kinds_keep_the_names_stored_in_audit_entries_and_reports():
    # Audit entries, state counters and --json output written by earlier versions use these.
    assert [str(k) for k in ActionKind] == [
        "create_issue",
        "link",
        "transition",
        "comment",
        "mirror_comment",
        "update_mirror",
        "delete_mirror",
        "edit_issue",
        "adopt_mapping",
        "check_user_issue",
        "partner_gone",
    ]
    assert [str(k) for k in AuditEvent] == ["unit", "note", "create_screen", "edit_screen"]
    assert f"counters.{ActionKind.EDIT_ISSUE}" == "counters.edit_issue"


def test_an_intent_survives_the_journal_round_trip():
    intent = Intent(
        "transition:USER-1@0:Will Do:DEV-1",
        IntentKind.TRANSITION,
        "DEV-1",
        {"target_status": "In Progress", "side": "dev"},
    )
    doc = intent.to_doc(fence=3, at=AT)
    assert doc == {
        "_id": intent.id,
        "kind": "transition",
        "key": "DEV-1",
        "state": "pending",
        "data": {"target_status": "In Progress", "side": "dev"},
        "created_at": AT,
        "fence": 3,
    }
    back = Intent.from_doc(doc)
    assert back == intent and back.kind is IntentKind.TRANSITION and not back.done
    done = Intent.from_doc({**doc, "state": "done", "result": {"status": "In Progress", "moved": True}})
    assert done.done and done.result == {"status": "In Progress", "moved": True}


def test_an_intent_of_an_unknown_kind_is_kept_as_written():
    intent = Intent.from_doc({"_id": "x:1", "kind": "archive", "key": "U-1"})
    assert intent.kind == "archive" and not isinstance(intent.kind, IntentKind) and intent.data == {}


def _comment(cid: str) -> CommentData:
    return CommentData(cid, "alice", "Alice", "hello", "2026-11-24T09:00:00.000+0000", "2026-11-24T09:00:00.000+0000")


def test_intents_are_named_the_same_every_cycle():
    move = TransitionIssue("dev", "In Progress", "go", "USER-1@0:Will Do", "USER-1", "Will Do", "To Do", "DEV", "Task")
    note = AddComment("user", "moved", "go", "USER-1@0:Will Do", "USER-1", "Will Do", "In Progress")
    mirror = MirrorComment("user", "DEV-1", _comment("7"))
    specs = {
        a.kind: intent_of("ab", "USER-1", "DEV-1", a)
        for a in (CreateDevIssue("go", "Task", {}, "h", link=True), LinkIssues("go"), move, note, mirror)
    }
    assert {k: (s.id, s.kind, s.key, s.data) for k, s in specs.items() if s} == {
        "create_issue": ("create:ab:USER-1", "create", "USER-1", {}),
        "link": ("link:USER-1:DEV-1", "link", "USER-1", {"dev_key": "DEV-1"}),
        "transition": (
            "transition:USER-1@0:Will Do:DEV-1",
            "transition",
            "DEV-1",
            {"target_status": "In Progress", "side": "dev"},
        ),
        "comment": ("comment:USER-1@0:Will Do:go:USER-1", "comment", "USER-1", {"source": None}),
        "mirror_comment": ("mirror:DEV-1:7", "comment", "USER-1", {"source": ["DEV-1", "7"]}),
    }


def test_writes_to_a_dev_issue_not_created_yet_have_no_intent_and_others_never_do():
    move = TransitionIssue("dev", "In Progress", "go", "USER-1@0:Will Do", "USER-1", "Will Do", None, "DEV", "Task")
    assert intent_of("ab", "USER-1", None, move) is None
    assert intent_of("ab", "USER-1", None, LinkIssues("go")) is None
    assert intent_of("ab", "USER-1", "DEV-1", EditDevIssue({}, "h")) is None
    assert intent_of("ab", "USER-1", "DEV-1", CheckUserIssue("USER-1")) is None


def test_tagged_notes_are_known_again_from_their_stored_text():
    note = Note.tagged(NoteKind.WITHHELD, "comment 20 on DEV-9 is restricted")
    assert str(note) == note.text == "withheld: comment 20 on DEV-9 is restricted"
    assert Note.kind_of(note.text) is NoteKind.WITHHELD
    assert Note.kind_of("unhandled: USER-1 is now 'Open' and no rule matches") is NoteKind.UNHANDLED
    assert Note.kind_of("rule ack: USER-1 has no partner issue to comment on") is None
    with pytest.raises(AssertionError):
        Note.tagged(NoteKind.NO_PARTNER, "untagged kinds keep their own text")


def test_a_units_audit_entries_keep_their_stored_shape():
    result = UnitResult(
        "USER-1",
        "DEV-1",
        error="Jira said no",
        done=[
            Done(ActionKind.CREATE_ISSUE, {"dev_key": "DEV-1"}),
            Done(ActionKind.COMMENT, {"key": "DEV-1", "comment": "5", "wrote": False}),
        ],
        notes=[Note.tagged(NoteKind.SKIPPED, "comment 3 on USER-1 could not be copied")],
    )
    docs = [e.to_doc() for e in unit_audit(result, "c1")]
    assert all(isinstance(d.pop("ts"), datetime) for d in docs)
    assert docs == [  # the create is audited where it happens, not again here
        {
            "cycle": "c1",
            "keys": ["USER-1", "DEV-1"],
            "action": "comment",
            "result": "ok",
            "detail": {"key": "DEV-1", "comment": "5", "wrote": False},
        },
        {
            "cycle": "c1",
            "keys": ["USER-1", "DEV-1"],
            "action": "unit",
            "result": "error",
            "detail": {"reason": "Jira said no"},
        },
        {
            "cycle": "c1",
            "keys": ["USER-1", "DEV-1"],
            "action": "note",
            "result": "info",
            "detail": {"reason": "skipped: comment 3 on USER-1 could not be copied"},
        },
    ]
    assert all(type(d["action"]) is str and type(d["result"]) is str for d in docs)  # plain BSON strings
    entry = AuditEntry("recovery", [], AuditEvent.CREATE_SCREEN, Outcome.WARNING, {}, ts=AT)
    assert entry.to_doc() == {
        "ts": AT,
        "cycle": "recovery",
        "keys": [],
        "action": "create_screen",
        "result": "warning",
        "detail": {},
    }


def test_what_a_unit_did_says_whether_it_wrote():
    assert Done(ActionKind.LINK, {}).wrote and not Done(ActionKind.LINK, {"wrote": False}).wrote
    assert Done(ActionKind.CREATE_ISSUE, {"recovered": True}).recovered
    assert not Done(ActionKind.CREATE_ISSUE, {}).recovered
