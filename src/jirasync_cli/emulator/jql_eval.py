"""Compiling a parsed JQL query into a predicate and a sort key over the emulator's issues.

Values are checked against the state the way Jira checks them (unknown project, status or
issue key -> error). Date literals are read in the searching account's time zone at minute
precision; relative dates and now() against the emulator clock.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from . import catalog
from .clock import local_to_ms, start_of_day_ms
from .jql import BoolOp, Clause, Empty, Func, JqlError, Sort, Value, parse
from .model import Issue, State, body_text

DATE_FORMATS = ("%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M", "%Y/%m/%d", "%Y-%m-%d")
PERIOD_RE = re.compile(r"^\s*([-+]?)\s*((?:\d+\s*[wdhm]\s*)+)$", re.IGNORECASE)
PERIOD_PART = re.compile(r"(\d+)\s*([wdhm])", re.IGNORECASE)
UNIT_MS = {"w": 7 * 86400000, "d": 86400000, "h": 3600000, "m": 60000}
KEY_RE = re.compile(r"^([A-Za-z][A-Za-z0-9_]*)-(\d+)$")


@dataclass
class Env:
    state: State
    accounts: Any  # AccountBook
    account: Any  # the searching Account
    tz: str
    now_ms: int
    cloud: bool


FIELD_ALIASES = {
    "project": "project",
    "key": "key",
    "issuekey": "key",
    "id": "key",
    "issue": "key",
    "status": "status",
    "statuscategory": "statusCategory",
    "labels": "labels",
    "issuetype": "issuetype",
    "type": "issuetype",
    "priority": "priority",
    "created": "created",
    "createddate": "created",
    "updated": "updated",
    "updateddate": "updated",
    "resolved": "resolutiondate",
    "resolutiondate": "resolutiondate",
    "resolution": "resolution",
    "assignee": "assignee",
    "reporter": "reporter",
    "creator": "creator",
    "summary": "summary",
    "description": "description",
    "comment": "comment",
    "text": "text",
}
FIELD_OPS = {
    "choice": {"=", "!=", "in", "not in", "is", "is not"},
    "date": {"=", "!=", ">", ">=", "<", "<=", "in", "not in", "is", "is not"},
    "text": {"~", "!~", "is", "is not"},
    "key": {"=", "!=", "in", "not in"},
}
FIELD_KIND = {
    "project": "choice",
    "status": "choice",
    "statusCategory": "choice",
    "labels": "choice",
    "issuetype": "choice",
    "priority": "choice",
    "resolution": "choice",
    "assignee": "choice",
    "reporter": "choice",
    "creator": "choice",
    "created": "date",
    "updated": "date",
    "resolutiondate": "date",
    "summary": "text",
    "description": "text",
    "comment": "text",
    "text": "text",
    "key": "key",
}
SORTABLE = {
    "created",
    "updated",
    "key",
    "priority",
    "status",
    "summary",
    "project",
    "issuetype",
    "resolutiondate",
    "resolution",
    "assignee",
    "reporter",
    "creator",
}

Pred = Callable[[Issue], bool]


def unknown_field(name: str) -> JqlError:
    return JqlError(f"Field '{name}' does not exist or you do not have permission to view it.")


def _canon_field(name: str) -> str:
    f = FIELD_ALIASES.get(name.lower())
    if f is None:
        raise unknown_field(name)
    return f


class _Compiler:
    def __init__(self, env: Env) -> None:
        self.env = env
        self.uses_now = False

    def node(self, n: Clause | BoolOp) -> Pred:
        if isinstance(n, BoolOp):
            preds = [self.node(a) for a in n.args]
            if n.op == "not":
                p = preds[0]
                return lambda i: not p(i)
            if len(preds) == 2:  # the common case, without generator overhead
                a, b = preds
                return (lambda i: a(i) and b(i)) if n.op == "and" else (lambda i: a(i) or b(i))
            if n.op == "and":
                return lambda i: all(p(i) for p in preds)
            return lambda i: any(p(i) for p in preds)
        return self.clause(n)

    # -- operand helpers
    def _values(self, c: Clause) -> list[Any]:
        return c.operand if isinstance(c.operand, list) else [c.operand]

    def _func(self, c: Clause, f: Func, allowed: set[str]) -> str:
        name = f.name.lower()
        known = {"currentuser", "now", "startofday", "endofday"}
        if name not in known:
            raise JqlError(f"Unable to find JQL function '{f.name}({', '.join(f.args)})'.")
        if name not in allowed:
            raise JqlError(f"Function '{f.name}' is not supported by the '{c.field}' field.")
        return name

    def clause(self, c: Clause) -> Pred:
        fname = _canon_field(c.field)
        kind = FIELD_KIND[fname]
        op = c.op
        if op not in FIELD_OPS[kind]:
            shown = op.upper() if op.isalpha() or " " in op else op
            raise JqlError(f"The operator '{shown}' is not supported by the '{c.field}' field.")
        if op in ("is", "is not"):
            if not isinstance(c.operand, Empty):
                raise JqlError(f"The operator '{op.upper()}' only supports the EMPTY value ('{c.field}').")
            getter = self._getter(fname)
            return (lambda i: not getter(i)) if op == "is" else (lambda i: bool(getter(i)))
        if kind == "date":
            return self._date_clause(c, fname)
        if kind == "text":
            return self._text_clause(c, fname)
        if kind == "key":
            return self._key_clause(c)
        return self._choice_clause(c, fname)

    def _getter(self, fname: str) -> Callable[[Issue], Any]:
        st = self.env.state
        return {
            "project": lambda i: i.project_id,
            "status": lambda i: i.status,
            "statusCategory": lambda i: st.statuses[i.status][1],
            "labels": lambda i: i.labels,
            "issuetype": lambda i: i.issuetype_id,
            "priority": lambda i: i.priority_id,
            "resolution": lambda i: i.resolution_id,
            "assignee": lambda i: i.assignee,
            "reporter": lambda i: i.reporter,
            "creator": lambda i: i.creator,
            "created": lambda i: i.created,
            "updated": lambda i: i.updated,
            "resolutiondate": lambda i: i.resolutiondate,
            "summary": lambda i: i.summary,
            "description": lambda i: body_text(i.description),
            "comment": lambda i: " ".join(body_text(st.comments[c].body) for c in i.comment_ids),
            "text": lambda i: " ".join(
                [i.summary, body_text(i.description)] + [body_text(st.comments[c].body) for c in i.comment_ids]
            ),
        }[fname]

    # -- choice fields: resolve every value to a canonical id, Jira-style errors otherwise
    def _resolve(self, c: Clause, fname: str, v: Value | Func | Empty) -> Any:
        env, st = self.env, self.env.state
        if isinstance(v, Empty):
            return None
        if isinstance(v, Func):
            self._func(c, v, {"currentuser"} if fname in ("assignee", "reporter", "creator") else set())
            return env.account.name
        text = v.text
        low = text.lower()
        missing = JqlError(f"The value '{text}' does not exist for the field '{c.field}'.")
        if fname == "project":
            p = st.project(text) if (text.isascii() and text.isdigit()) else st.projects.get(text.upper())
            if p is None:
                p = next((x for x in st.projects.values() if x.name.lower() == low), None)
            if p is None:
                raise missing
            return p.id
        if fname == "status":
            name = st.status_by_id_or_name(text)
            if name is None:
                raise missing
            return name
        if fname == "statusCategory":
            for key, cat in catalog.STATUS_CATEGORIES.items():
                if low in (key, cat["name"].lower(), str(cat["id"])):
                    return key
            raise missing
        if fname == "issuetype":
            t = next((t for t in catalog.ISSUE_TYPES if text == t[0] or low == t[1].lower()), None)
            if t is None:
                raise missing
            return t[0]
        if fname == "priority":
            prio = next((p for p in catalog.PRIORITIES if text == p[0] or low == p[1].lower()), None)
            if prio is None:
                raise missing
            return prio[0]
        if fname == "resolution":
            if low == "unresolved" and not v.quoted:
                return None
            table = catalog.RESOLUTIONS_CLOUD if env.cloud else catalog.RESOLUTIONS_SERVER
            r = next((r for r in table if text == r[0] or low == r[1].lower()), None)
            if r is None:
                raise missing
            return r[0]
        if fname in ("assignee", "reporter", "creator"):
            # Cloud knows people by accountId (or email) only; Server by login name or key.
            acc = env.accounts.get(text)
            if acc is not None:
                idents = {acc.account_id, acc.email.lower()} if env.cloud else {acc.name, acc.key, acc.email.lower()}
                if text in idents or low in idents:
                    return acc.name
            raise missing
        return text  # labels: free text

    def _choice_clause(self, c: Clause, fname: str) -> Pred:
        getter = self._getter(fname)
        vals = {self._resolve(c, fname, v) for v in self._values(c)}
        has_empty = None in vals
        vals.discard(None)
        if fname == "labels":
            if c.op in ("=", "in"):
                return lambda i: bool(vals.intersection(i.labels)) or (has_empty and not i.labels)
            # != / NOT IN never match issues where the field is empty (Jira semantics)
            return lambda i: bool(i.labels) and not vals.intersection(i.labels)
        if c.op in ("=", "in"):
            return lambda i: (getter(i) in vals) or (has_empty and getter(i) is None)
        if has_empty and not vals:
            return lambda i: getter(i) is not None
        return lambda i: getter(i) is not None and getter(i) not in vals

    # -- keys
    def _key_clause(self, c: Clause) -> Pred:
        ids = set()
        for v in self._values(c):
            if not isinstance(v, Value):
                raise JqlError(
                    f"The operator '{c.op.upper()}' is not supported by the '{c.field}' field for this value."
                )
            text = v.text.strip()
            if text.isascii() and text.isdigit():
                issue = self.env.state.issues.get(int(text))
                if issue is None:
                    raise JqlError(f"An issue with key '{text}' does not exist for field '{c.field}'.")
            else:
                if not KEY_RE.match(text):
                    raise JqlError(f"The issue key '{text}' for field '{c.field}' is invalid.")
                issue = self.env.state.issues_by_key.get(text.upper())
                if issue is None:
                    raise JqlError(f"An issue with key '{text}' does not exist for field '{c.field}'.")
            ids.add(issue.id)
        if c.op in ("=", "in"):
            return lambda i: i.id in ids
        return lambda i: i.id not in ids

    # -- dates
    def _instant(self, c: Clause, v: Value | Func | Empty) -> int | None:
        env = self.env
        if isinstance(v, Empty):
            return None
        if isinstance(v, Func):
            name = self._func(c, v, {"now", "startofday", "endofday"})
            self.uses_now = True
            if name == "now":
                return env.now_ms
            offset = 0
            if v.args:
                m = re.fullmatch(r"([-+]?)(\d+)([dD]?)", v.args[0].strip())
                if not m:
                    raise JqlError(f"Function '{v.name}' expected an increment such as '-1d' but got '{v.args[0]}'.")
                offset = int(m.group(2)) * (-1 if m.group(1) == "-" else 1)
            try:
                start = start_of_day_ms(env.now_ms, env.tz, offset)
                return start if name == "startofday" else start_of_day_ms(env.now_ms, env.tz, offset + 1) - 1
            except (ValueError, OverflowError):
                raise JqlError(f"Function '{v.name}' got an increment out of range: '{v.args[0]}'.") from None
        text = v.text.strip()
        for fmt in DATE_FORMATS:
            try:
                return local_to_ms(datetime.strptime(text, fmt), env.tz)
            except (ValueError, OverflowError):
                continue
        m = PERIOD_RE.match(text)
        if m:
            self.uses_now = True
            total = sum(int(n) * UNIT_MS[u.lower()] for n, u in PERIOD_PART.findall(m.group(2)))
            return env.now_ms - total if m.group(1) == "-" else env.now_ms + total
        raise JqlError(
            f"Date value '{v.text}' for field '{c.field}' is invalid. Valid formats include: "
            "'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format "
            "e.g. '-5d', '4w 2d'."
        )

    def _date_clause(self, c: Clause, fname: str) -> Pred:
        getter = self._getter(fname)
        if c.op in ("in", "not in"):
            vals = {self._instant(c, v) for v in self._values(c)}
            if c.op == "in":
                return lambda i: getter(i) in vals
            return lambda i: getter(i) is not None and getter(i) not in vals
        if isinstance(c.operand, list):
            raise JqlError(f"The operator '{c.op}' does not support the list value for field '{c.field}'.")
        t = self._instant(c, c.operand)
        if t is None:
            if c.op == "=":
                return lambda i: getter(i) is None
            if c.op == "!=":
                return lambda i: getter(i) is not None
            raise JqlError(f"The operator '{c.op}' does not support the EMPTY value for field '{c.field}'.")
        comparisons: dict[str, Callable[[int], bool]] = {
            "=": lambda x: x == t,
            "!=": lambda x: x != t,
            ">": lambda x: x > t,
            ">=": lambda x: x >= t,
            "<": lambda x: x < t,
            "<=": lambda x: x <= t,
        }
        cmp = comparisons[c.op]
        return lambda i: (x := getter(i)) is not None and cmp(x)

    # -- text
    def _text_clause(self, c: Clause, fname: str) -> Pred:
        v = c.operand
        if not isinstance(v, Value):
            raise JqlError(f"The operator '{c.op}' is not supported by the '{c.field}' field for this value.")
        terms = [t.strip("*?").lower() for t in re.split(r"\s+", v.text) if t.strip("*?")]
        if not terms:
            raise JqlError(f"The field '{c.field}' does not support searching for an empty string.")
        getter = self._getter(fname)

        def match(i: Issue) -> bool:
            hay = getter(i).lower()
            return all(t in hay for t in terms)

        return match if c.op == "~" else (lambda i: not match(i))


@dataclass
class Compiled:
    predicate: Pred | None  # None: no restriction ("unbounded")
    sort_key: Callable[[Issue], tuple[Any, ...]]
    order_text: str
    uses_now: bool


def _str_key(s: str, desc: bool) -> tuple[Any, ...]:
    # Strings in a descending sort: negate code points (with a sentinel so prefixes sort right).
    return tuple(-ord(ch) for ch in s) + (1,) if desc else (s,)


def _sort_part(env: Env, s: Sort) -> Callable[[Issue], tuple[Any, ...]]:
    fname = _canon_field(s.field)
    if fname not in SORTABLE:
        raise JqlError(f"Field '{s.field}' does not support sorting.")
    st = env.state
    sign = -1 if s.desc else 1
    d = s.desc

    def num(fn: Callable[[Issue], Any]) -> Callable[[Issue], tuple[Any, ...]]:
        def k(i: Issue) -> tuple[Any, ...]:
            v = fn(i)
            return (1,) if v is None else (0, sign * v)

        return k

    def text(fn: Callable[[Issue], Any]) -> Callable[[Issue], tuple[Any, ...]]:
        def k(i: Issue) -> tuple[Any, ...]:
            v = fn(i)
            return (1,) if v is None else (0, _str_key(v, d))

        return k

    if fname in ("created", "updated", "resolutiondate"):
        return num(lambda i: getattr(i, fname))
    if fname == "key":
        return lambda i: (0, _str_key(st.projects_by_id[i.project_id].key, d), sign * i.number)
    if fname == "priority":  # DESC puts Highest first
        return num(lambda i: -catalog.PRIORITY_RANK[i.priority_id])
    if fname == "status":
        return num(lambda i: int(st.statuses[i.status][0]))
    if fname == "issuetype":
        return num(lambda i: int(i.issuetype_id))
    if fname == "resolution":
        return num(lambda i: None if i.resolution_id is None else int(i.resolution_id))
    if fname == "project":
        return text(lambda i: st.projects_by_id[i.project_id].key)
    if fname == "summary":
        return text(lambda i: i.summary.lower())
    return text(lambda i: getattr(i, fname))  # users, by handle


def compile_query(text: str, env: Env) -> Compiled:
    q = parse(text)
    comp = _Compiler(env)
    pred = comp.node(q.where) if q.where is not None else None
    order = q.order or [Sort("created", True, 0)]
    if len(order) > 7 and env.cloud:
        raise JqlError("The 'ORDER BY' clause can contain at most 7 fields.")
    parts = [_sort_part(env, s) for s in order]
    tie = -1 if order[-1].desc else 1

    def sort_key(i: Issue) -> tuple[Any, ...]:
        return tuple(p(i) for p in parts) + (tie * i.id,)

    order_text = ", ".join(f"{s.field} {'DESC' if s.desc else 'ASC'}" for s in order)
    return Compiled(pred, sort_key, order_text, comp.uses_now)
