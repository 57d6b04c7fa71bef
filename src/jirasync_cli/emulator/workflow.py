"""Per-project workflows: statuses with categories and the transitions between them.

Transition names deliberately differ from target status names in places ("Resolve" leads to
"Resolved"), as in real Jira workflows, so clients that match transitions by name are caught.

A transition may have a *screen*: the fields a person (or a REST client) fills in while
making it, some of them required. As in many real workflows, the default ones ask for a
resolution on the way into their done statuses; REST clients must send it (400 "Field
Resolution is required." otherwise) and may send nothing that is not on the screen.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

CATEGORIES = ("new", "indeterminate", "done")


@dataclass(frozen=True)
class Status:
    name: str
    category: str = "indeterminate"  # "new" | "indeterminate" | "done"
    description: str = ""
    id: str | None = None  # None: the well-known id of the name, else the next free one

    def __post_init__(self) -> None:
        if self.category not in CATEGORIES:
            raise ValueError(f"status category must be one of {CATEGORIES}, not {self.category!r}")


@dataclass(frozen=True)
class ScreenField:
    """A field on a transition screen. ``id`` is Jira's field id (``resolution``,
    ``customfield_10100``); custom fields are plain text fields here."""

    id: str
    name: str
    required: bool = False


RESOLUTION_SCREEN = (ScreenField("resolution", "Resolution", required=True),)


@dataclass(frozen=True)
class Transition:
    id: str
    name: str
    to: str  # target status name
    sources: tuple[str, ...] | None = None  # None: global ("from any status")
    screen: tuple[ScreenField, ...] | None = None  # None: no screen

    def screen_field(self, field_id: str) -> ScreenField | None:
        return next((f for f in self.screen or () if f.id == field_id), None)

    def available_from(self, status: str) -> bool:
        if self.to == status:
            return False
        return self.sources is None or status in self.sources


class Workflow:
    def __init__(
        self, name: str, statuses: list[Status], transitions: list[Transition], initial: str | None = None
    ) -> None:
        if not statuses:
            raise ValueError("a workflow needs at least one status")
        self.name = name
        self.statuses = list(statuses)
        self.transitions = list(transitions)
        self.initial = initial or statuses[0].name
        names = {s.name for s in statuses}
        if self.initial not in names:
            raise ValueError(f"initial status {self.initial!r} is not in the workflow")
        ids = set()
        for t in self.transitions:
            if t.to not in names or any(s not in names for s in (t.sources or ())):
                raise ValueError(f"transition {t.name!r} refers to a status outside the workflow")
            if t.id in ids:
                raise ValueError(f"duplicate transition id {t.id!r}")
            ids.add(t.id)

    def status(self, name: str) -> Status | None:
        low = name.lower()
        return next((s for s in self.statuses if s.name.lower() == low), None)

    def available(self, current: str) -> list[Transition]:
        return [t for t in self.transitions if t.available_from(current)]

    def transition_by_id(self, tid: str) -> Transition | None:
        return next((t for t in self.transitions if t.id == str(tid)), None)

    def path(self, start: str, target: str) -> list[Transition] | None:
        """Shortest sequence of transitions from ``start`` to ``target`` (for seeding)."""
        if start == target:
            return []
        seen = {start}
        queue: deque[tuple[str, list[Transition]]] = deque([(start, [])])
        while queue:
            cur, trail = queue.popleft()
            for t in self.available(cur):
                if t.to in seen:
                    continue
                if t.to == target:
                    return trail + [t]
                seen.add(t.to)
                queue.append((t.to, trail + [t]))
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "initial": self.initial,
            "statuses": [
                {"name": s.name, "category": s.category, "description": s.description, **({"id": s.id} if s.id else {})}
                for s in self.statuses
            ],
            "transitions": [
                {
                    "id": t.id,
                    "name": t.name,
                    "to": t.to,
                    "from": list(t.sources) if t.sources is not None else None,
                    **(
                        {"screen": [{"id": f.id, "name": f.name, "required": f.required} for f in t.screen]}
                        if t.screen is not None
                        else {}
                    ),
                }
                for t in self.transitions
            ],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Workflow:
        return cls(
            d.get("name", "custom"),
            [
                Status(
                    s["name"],
                    s.get("category", "indeterminate"),
                    s.get("description", ""),
                    str(s["id"]) if s.get("id") else None,
                )
                for s in d["statuses"]
            ],
            [
                Transition(
                    str(t["id"]),
                    t["name"],
                    t["to"],
                    tuple(t["from"]) if t.get("from") is not None else None,
                    _screen(t.get("screen")),
                )
                for t in d.get("transitions", [])
            ],
            d.get("initial"),
        )

    def translated(self, names: dict[str, str], ids: dict[str, str] | None = None, name: str | None = None) -> Workflow:
        """The same workflow with its statuses (and the transitions named like them) renamed,
        as a site administered in another language has them: ``names`` maps an original
        status or transition name to its translation; ``ids`` gives a status (by its original
        name) a fixed id, e.g. the id the other site uses for the same state."""
        ids = ids or {}

        def tr(value: str) -> str:
            return names.get(value, value)

        statuses = [Status(tr(s.name), s.category, s.description, ids.get(s.name, s.id)) for s in self.statuses]
        transitions = [
            Transition(
                t.id, tr(t.name), tr(t.to), tuple(tr(x) for x in t.sources) if t.sources is not None else None, t.screen
            )
            for t in self.transitions
        ]
        return Workflow(name or f"{self.name} ({len(names)} names translated)", statuses, transitions, tr(self.initial))

    @classmethod
    def dev_german(cls) -> Workflow:
        """:meth:`dev_default` as a German-speaking site shows it, "Done" keeping id 10001:
        the same states under other names, as a bot account set to German sees them."""
        return cls.dev_default().translated(
            GERMAN_DEV, {"To Do": "10000", "In Progress": "3", "Done": "10001"}, name="Entwicklungs-Workflow"
        )

    @classmethod
    def simple(cls, names: list[str], categories: list[str] | None = None, name: str = "simple") -> Workflow:
        """Every status reachable from every other (Jira's simplified "any to any" workflow)."""
        cats = categories or (["new"] + ["indeterminate"] * (len(names) - 2) + ["done"] if len(names) > 1 else ["new"])
        statuses = [Status(n, c) for n, c in zip(names, cats, strict=True)]
        transitions = [Transition(str(11 + 10 * i), n, n) for i, n in enumerate(names)]
        return cls(name, statuses, transitions)

    @classmethod
    def user_default(cls) -> Workflow:
        """A customer-facing (service desk style) workflow."""
        s = ["Open", "Will Do", "In Progress", "Waiting for Customer", "Resolved", "Closed"]
        return cls(
            "Customer Support Workflow",
            [
                Status("Open", "new", "The issue is open and ready for the assignee to start work on it."),
                Status("Will Do", "new", "Accepted, the team will work on it."),
                Status(
                    "In Progress",
                    "indeterminate",
                    "This issue is being actively worked on at the moment by the assignee.",
                ),
                Status("Waiting for Customer", "indeterminate", "Waiting for a reply from the customer."),
                Status("Resolved", "done", "A resolution has been taken, and it is awaiting verification by reporter."),
                Status("Closed", "done", "The issue is considered finished."),
            ],
            [
                Transition("11", "Will Do", "Will Do", ("Open",)),
                Transition("21", "Start Progress", "In Progress", ("Open", "Will Do", "Waiting for Customer")),
                Transition("31", "Wait for Customer", "Waiting for Customer", ("Open", "Will Do", "In Progress")),
                Transition("41", "Stop Progress", "Will Do", ("In Progress",)),
                Transition("51", "Resolve", "Resolved", tuple(s[:4]), RESOLUTION_SCREEN),
                Transition("61", "Close", "Closed", ("Resolved",)),
                Transition("71", "Reopen", "Open", ("Resolved", "Closed")),
            ],
        )

    @classmethod
    def dev_default(cls) -> Workflow:
        """An internal engineering workflow."""
        return cls(
            "Engineering Workflow",
            [
                Status("To Do", "new"),
                Status("In Progress", "indeterminate"),
                Status("In Review", "indeterminate"),
                Status("Done", "done"),
            ],
            [
                Transition("11", "Start Progress", "In Progress", ("To Do",)),
                Transition("21", "Request Review", "In Review", ("In Progress",)),
                Transition("31", "Done", "Done", ("In Progress", "In Review"), RESOLUTION_SCREEN),
                Transition("41", "Back to In Progress", "In Progress", ("In Review",)),
                Transition("51", "Stop Progress", "To Do", ("In Progress",)),
                Transition("61", "Reopen", "To Do", ("Done",)),
            ],
        )


# Names a German Jira shows for the statuses and transitions of :meth:`Workflow.dev_default`.
GERMAN_DEV = {
    "To Do": "Zu erledigen",
    "In Progress": "In Arbeit",
    "In Review": "In Prüfung",
    "Done": "Erledigt",
    "Start Progress": "Vorgang beginnen",
    "Request Review": "Prüfung anfordern",
    "Back to In Progress": "Zurück zu In Arbeit",
    "Stop Progress": "Vorgang anhalten",
    "Reopen": "Erneut öffnen",
}


def _screen(raw: list[Any] | None) -> tuple[ScreenField, ...] | None:
    if raw is None:
        return None
    return tuple(ScreenField(str(f["id"]), str(f.get("name") or f["id"]), bool(f.get("required"))) for f in raw)
