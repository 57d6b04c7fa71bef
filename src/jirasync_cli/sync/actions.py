"""What a plan asks for: one record per action, and notes about what it will not do.

Each action names its :class:`~jirasync_cli.sync.records.ActionKind`; the planner makes
them, the applier carries them out (one handler per kind), the CLI describes them. An
action whose write is not idempotent records an :class:`~jirasync_cli.sync.records.Intent`
first: :func:`intent_of` names it, the same way in every cycle, so a re-run finds it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

from jirasync_cli.sync.records import ActionKind, Intent, IntentKind

if TYPE_CHECKING:
    from jirasync_cli.jira.models import CommentData

USER, DEV = "user", "dev"


def other(side: str) -> str:
    return DEV if side == USER else USER


@dataclass(frozen=True)
class CreateDevIssue:
    rule_id: str
    issuetype: str
    fields: dict[str, Any]
    fields_hash: str
    link: bool
    kind: ClassVar[ActionKind] = ActionKind.CREATE_ISSUE


@dataclass(frozen=True)
class LinkIssues:
    rule_id: str
    kind: ClassVar[ActionKind] = ActionKind.LINK


@dataclass(frozen=True)
class TransitionIssue:
    side: str  # the side whose issue moves
    target_status: str
    rule_id: str
    event: str
    source_key: str
    source_status: str
    current_status: str | None  # the moving issue's status as far as we know (None: just created)
    project: str
    issuetype: str
    resolution: str | None = None  # the rule's choice, for a transition screen that asks for one
    kind: ClassVar[ActionKind] = ActionKind.TRANSITION


@dataclass(frozen=True)
class AddComment:
    side: str  # the side whose issue gets the comment
    template: str
    rule_id: str
    event: str
    source_key: str
    source_status: str
    target_status: str | None
    verify: bool = False  # look for the comment in Jira first (see _unrecorded_own_comments)
    internal: bool = False  # posted as a JSM internal note (agents only)
    kind: ClassVar[ActionKind] = ActionKind.COMMENT


@dataclass(frozen=True)
class Restriction:
    """Who may read a comment jirasync writes: a role/group, and/or agents only (JSM)."""

    visibility: dict[str, str] | None = None
    internal: bool = False

    @property
    def label(self) -> str | None:
        """``role:Developers+internal``, as :attr:`CommentData.privacy` names it; None: public."""
        parts = [f"{self.visibility['type']}:{self.visibility['value']}"] if self.visibility else []
        return "+".join([*parts, *(["internal"] if self.internal else [])]) or None


@dataclass(frozen=True)
class MirrorComment:
    side: str  # the side the copy goes to
    source_key: str
    comment: CommentData
    verify: bool = False
    restriction: Restriction = Restriction()
    kind: ClassVar[ActionKind] = ActionKind.MIRROR_COMMENT


@dataclass(frozen=True)
class UpdateMirror:
    side: str
    source_key: str
    comment: CommentData
    mirror_id: str
    restriction: Restriction = Restriction()
    restrict: bool = False  # the original's privacy changed: the copy's follows
    kind: ClassVar[ActionKind] = ActionKind.UPDATE_MIRROR


@dataclass(frozen=True)
class DeleteMirror:
    """The original is gone, or may no longer be read by the other side's audience."""

    side: str  # the side the copy is on
    source_key: str
    comment_id: str  # the original
    mirror_id: str
    reason: str  # "deleted" | "restricted"
    kind: ClassVar[ActionKind] = ActionKind.DELETE_MIRROR


@dataclass(frozen=True)
class EditDevIssue:
    fields: dict[str, Any]
    fields_hash: str
    kind: ClassVar[ActionKind] = ActionKind.EDIT_ISSUE


@dataclass(frozen=True)
class AdoptMapping:
    """Take an existing dev issue as the partner: ours by its source property, or one a
    person linked to the user issue before the rule fired."""

    dev_key: str
    linked: bool
    reason: str  # "property" | "link"
    kind: ClassVar[ActionKind] = ActionKind.ADOPT_MAPPING


@dataclass(frozen=True)
class CheckUserIssue:
    """The dev issue no longer links to its user issue: was the user issue moved out of the
    project, deleted, or only unlinked by a person? Checked before anything is written."""

    user_key: str
    kind: ClassVar[ActionKind] = ActionKind.CHECK_USER_ISSUE


Action = (
    CheckUserIssue
    | CreateDevIssue
    | LinkIssues
    | TransitionIssue
    | AddComment
    | MirrorComment
    | UpdateMirror
    | DeleteMirror
    | EditDevIssue
    | AdoptMapping
)
SidedAction = TransitionIssue | AddComment | MirrorComment | UpdateMirror | DeleteMirror  # bound to one side's issue


class NoteKind(StrEnum):
    UNHANDLED = "unhandled"  # an issue moved to a status no rule handles
    NO_PARTNER = "no_partner"  # a rule would act on the partner issue, and there is none
    WITHHELD = "withheld"  # a restricted comment is not copied
    SKIPPED = "skipped"  # Jira refused a copied comment: it is left out for good
    PARTNER_GONE = "partner_gone"  # the partner issue was deleted or moved away
    UNASSIGNED = "unassigned"  # the assignee has no counterpart on the other site: left unassigned


_TAGGED = (NoteKind.UNHANDLED, NoteKind.WITHHELD, NoteKind.SKIPPED, NoteKind.UNASSIGNED)  # their text starts "<kind>: "


@dataclass(frozen=True)
class Note:
    """Something said about a unit instead of (or besides) an action; audited as its text."""

    kind: NoteKind
    text: str

    @classmethod
    def tagged(cls, kind: NoteKind, message: str) -> Note:
        """A note whose text names its kind (``withheld: ...``), so it is known in the audit too."""
        assert kind in _TAGGED, kind
        return cls(kind, f"{kind}: {message}")

    @staticmethod
    def kind_of(text: str) -> NoteKind | None:
        """The kind of a note's stored text, for the kinds whose text names it."""
        return next((kind for kind in _TAGGED if text.startswith(f"{kind}: ")), None)

    def __str__(self) -> str:
        return self.text


def mirror_intent_id(source_key: str, comment_id: str) -> str:
    """Names the copy of one comment: independent of any snapshot, so lost state never
    writes a second copy."""
    return f"mirror:{source_key}:{comment_id}"


def intent_of(pair: str, user_key: str, dev_key: str | None, action: Action) -> Intent | None:
    """The intent an action records, when its target issue is known (the dev issue a unit
    creates is known only after the create)."""
    if isinstance(action, CreateDevIssue):
        return Intent(f"create:{pair}:{user_key}", IntentKind.CREATE, user_key)
    if isinstance(action, LinkIssues):
        if dev_key is None:
            return None
        return Intent(f"link:{user_key}:{dev_key}", IntentKind.LINK, user_key, {"dev_key": dev_key})
    if not isinstance(action, (TransitionIssue, AddComment, MirrorComment)):
        return None
    key = user_key if action.side == USER else dev_key
    if key is None:
        return None
    if isinstance(action, TransitionIssue):
        return Intent(
            f"transition:{action.event}:{key}",
            IntentKind.TRANSITION,
            key,
            {"target_status": action.target_status, "side": action.side},
        )
    if isinstance(action, AddComment):
        return Intent(f"comment:{action.event}:{action.rule_id}:{key}", IntentKind.COMMENT, key, {"source": None})
    return Intent(
        mirror_intent_id(action.source_key, action.comment.id),
        IntentKind.COMMENT,
        key,
        {"source": [action.source_key, action.comment.id]},
    )
