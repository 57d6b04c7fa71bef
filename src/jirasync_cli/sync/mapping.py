"""Values that differ between the two sites of a pair: statuses, priorities, issue types, users.

A pair's ``mappings`` tables map a user-side value to a dev-side value; the dev-to-user
direction is the same table read backwards, plus ``mappings.devToUser`` where the backward
reading is ambiguous (two user values mapping to one dev value). Everything here is pure:
the caller passes what the target site offers (its statuses, priorities, types, people).

Matching is case-insensitive, and statuses match by name or id, so a bot account whose Jira
shows "Erledigt" (id 10001) where the other site shows "Done" still finds its status.
A value with no table entry maps to the same name on the other side when that exists.
Users: an entry in the table, else the same e-mail address when both sites show it, else
nobody, with a reason for the caller's audit note or comment; the issue never fails for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from jirasync_cli.config.pair import Mappings

Side = Literal["user", "dev"]
KINDS = ("statuses", "priorities", "issue_types", "users")
JSON_NAMES = {"statuses": "statuses", "priorities": "priorities", "issue_types": "issueTypes", "users": "users"}


@dataclass(frozen=True)
class Ref:
    """A status, priority or issue type as a site shows it."""

    id: str
    name: str


@dataclass(frozen=True)
class Person:
    """A person on one site: Cloud ``accountId`` or Data Center ``name`` as ``id``; the
    e-mail address only where the site shows it (Cloud often hides it)."""

    id: str
    display_name: str = ""
    email: str | None = None
    key: str | None = None  # Data Center's user key (JIRAUSER10xxx), another way to name the person


@dataclass(frozen=True)
class Mapped:
    """The target value, or ``None`` with the reason (for an audit note or a comment)."""

    value: Ref | None
    reason: str | None = None


@dataclass(frozen=True)
class MappedUser:
    person: Person | None
    via: Literal["table", "email", "none"]
    reason: str | None = None


def _fold(value: str) -> str:
    return value.strip().casefold()


# ---------------------------------------------------------------- validation


def table_problems(kind: str, forward: Mapping[str, str], backward: Mapping[str, str] | None = None) -> list[str]:
    """What is wrong with one table (``kind`` as in :data:`KINDS`), one line each, naming the
    field: an empty value, two keys that are the same value, a backward reading that is
    ambiguous and not settled by the ``devToUser`` table."""
    field = f"mappings.{JSON_NAMES.get(kind, kind)}"
    back_field = f"mappings.devToUser.{JSON_NAMES.get(kind, kind)}"
    problems = _own_problems(field, forward)
    if backward is not None:
        problems += _own_problems(back_field, backward)
    settled = {_fold(k) for k in backward or {}}
    targets: dict[str, list[str]] = {}
    for source, target in forward.items():
        if target.strip():
            targets.setdefault(_fold(target), []).append(source)
    for target, sources in targets.items():
        if len(sources) > 1 and target not in settled:
            shown = forward[sources[0]].strip()
            every = "both" if len(sources) == 2 else "all"
            problems.append(
                f"{field}: {_quoted(sources)} {every} map to {shown!r}, so {shown!r} on the dev side has no "
                f"single user-side value; add {shown!r} to {back_field}"
            )
    return problems


def _own_problems(field: str, table: Mapping[str, str]) -> list[str]:
    problems = []
    seen: dict[str, str] = {}
    for source, target in table.items():
        if not source.strip():
            problems.append(f"{field}: a key is empty")
        elif not target.strip():
            problems.append(f"{field}.{source}: the value is empty")
        first = seen.setdefault(_fold(source), source)
        if first != source:
            problems.append(f"{field}: {first!r} and {source!r} are the same value (case is ignored)")
    return problems


def _quoted(values: Sequence[str]) -> str:
    quoted = [repr(v) for v in values]
    return ", ".join(quoted[:-1]) + " and " + quoted[-1]


# ---------------------------------------------------------------- tables


class Table:
    """One kind's table in both directions: ``forward`` user -> dev, ``backward`` dev -> user
    (the forward table inverted, with the ``devToUser`` entries taking precedence)."""

    def __init__(self, forward: Mapping[str, str], backward: Mapping[str, str] | None = None) -> None:
        self.forward = {_fold(k): v.strip() for k, v in forward.items()}
        inverted: dict[str, str] = {}
        for source, target in forward.items():
            inverted.setdefault(_fold(target), source.strip())
        inverted.update({_fold(k): v.strip() for k, v in (backward or {}).items()})
        self.backward = inverted

    def lookup(self, value: Ref | str, to: Side) -> str | None:
        """The table's entry for ``value`` (a Ref matches by name or id) towards side ``to``."""
        table = self.forward if to == "dev" else self.backward
        keys = (value.name, value.id) if isinstance(value, Ref) else (value,)
        for key in keys:
            hit = table.get(_fold(key))
            if hit is not None:
                return hit
        return None


def tables(mappings: Mappings) -> dict[str, Table]:
    """A pair's ``mappings`` as one :class:`Table` per kind (``statuses``, ``priorities``, ...)."""
    return {kind: Table(getattr(mappings, kind), getattr(mappings.dev_to_user, kind)) for kind in KINDS}


def dev_issue_type(mappings: Mappings, user_type: str, default: str) -> str:
    """The type a dev issue is created with: the ``issueTypes`` entry for the user issue's
    type when there is one, else the pair's ``devIssueType`` (``default``)."""
    return Table(mappings.issue_types).lookup(user_type, to="dev") or default


def find(wanted: str, offered: Iterable[Ref]) -> Ref | None:
    """The offered value named ``wanted`` (ignoring case), else the one whose id it is."""
    offered = list(offered)
    folded = _fold(wanted)
    return next((r for r in offered if _fold(r.name) == folded), None) or next(
        (r for r in offered if r.id == wanted.strip()), None
    )


def map_value(value: Ref | str, table: Table, offered: Iterable[Ref], *, to: Side, what: str = "value") -> Mapped:
    """``value`` from one side as one of the values the other side ``offered``: the table's
    entry if there is one, else the value of the same name (or id)."""
    offered = list(offered)
    shown = value.name if isinstance(value, Ref) else value
    entry = table.lookup(value, to)
    if entry is not None:
        hit = find(entry, offered)
        if hit is None:
            return Mapped(None, f"{what} {shown!r} maps to {entry!r}, which the {to} side does not offer")
        return Mapped(hit)
    hit = find(shown, offered) or (find(value.id, offered) if isinstance(value, Ref) else None)
    if hit is None:
        return Mapped(None, f"{what} {shown!r} has no mapping and the {to} side has none of that name")
    return Mapped(hit)


def map_user(person: Person, table: Table, people: Iterable[Person], *, to: Side) -> MappedUser:
    """The person on side ``to`` for ``person``: by the table (keys and values may be e-mail
    addresses, account ids, user names or keys), else by the same e-mail address where both
    sites show it; else nobody, and why."""
    people = list(people)
    shown = person.display_name or person.id
    keys = [k for k in (person.email, person.id, person.key) if k]
    entry = next((hit for k in keys if (hit := table.lookup(k, to)) is not None), None)
    if entry is not None:
        match = _person(entry, people)
        if match is None:
            return MappedUser(None, "none", f"user {shown!r} maps to {entry!r}, who is not a user on the {to} side")
        return MappedUser(match, "table")
    if person.email:
        match = next((p for p in people if p.email and _fold(p.email) == _fold(person.email)), None)
        if match is not None:
            return MappedUser(match, "email")
        return MappedUser(
            None,
            "none",
            f"user {shown!r} has no account with the same e-mail address on the {to} "
            "side and no entry in mappings.users; left unassigned",
        )
    return MappedUser(
        None, "none", f"user {shown!r} has no visible e-mail address and no entry in mappings.users; left unassigned"
    )


def _person(ident: str, people: Sequence[Person]) -> Person | None:
    folded = _fold(ident)
    for person in people:
        if folded in {_fold(v) for v in (person.id, person.email, person.key) if v}:
            return person
    return None
