"""A JQL subset, parsed for real: tokenizer -> recursive-descent parser -> compiled predicate.

Grammar (keywords and field names case-insensitive)::

    query    := [or_expr] [ORDER BY sort ("," sort)*]
    or_expr  := and_expr ((OR | "||" | "|") and_expr)*
    and_expr := not_expr ((AND | "&&" | "&") not_expr)*
    not_expr := (NOT | "!") not_expr | "(" or_expr ")" | clause
    clause   := field op operand
    operand  := value | "(" value ("," value)* ")" | func "(" [args] ")" | EMPTY | NULL

Evaluation lives in ``jql_eval``. Error messages are worded the way Jira words them, because
clients show them to people.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

PREFIX = "Error in the JQL Query: "
OPERATORS_MSG = "The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'."
RESERVED_CHARS = set("+;?*/%^$#@[]{}")
KEYWORDS = {
    "and",
    "or",
    "not",
    "empty",
    "null",
    "order",
    "by",
    "asc",
    "desc",
    "in",
    "is",
    "was",
    "changed",
    "from",
    "to",
    "on",
    "during",
    "before",
    "after",
}


class JqlError(Exception):
    """Becomes HTTP 400 ``{"errorMessages": [message], "errors": {}}``."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _syntax(msg: str, pos: int | None) -> JqlError:
    where = f" (line 1, character {pos + 1})" if pos is not None else ""
    return JqlError(PREFIX + msg + where)


# ---------------------------------------------------------------- tokenizer


@dataclass(frozen=True)
class Tok:
    kind: str  # "word" | "string" | "op" | "eof"
    text: str
    pos: int

    @property
    def low(self) -> str:
        return self.text.lower() if self.kind == "word" else ""

    def show(self) -> str:
        return "end of query" if self.kind == "eof" else f"'{self.text}'"


_OPS = ["!=", "!~", ">=", "<=", "&&", "||", "=", "~", ">", "<", "(", ")", ",", "&", "|", "!"]
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", " ": " "}


def tokenize(text: str) -> list[Tok]:
    toks: list[Tok] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        if c in "\"'":
            quote, start, buf = c, i, []
            i += 1
            while True:
                if i >= n:
                    raise _syntax(f"Missing closing quote for the string starting at character {start + 1}.", None)
                ch = text[i]
                if ch == "\\":
                    if i + 1 >= n:
                        raise _syntax("Illegal escape sequence at end of query.", i)
                    nx = text[i + 1]
                    if nx == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", text[i + 2 : i + 6] or ""):
                        buf.append(chr(int(text[i + 2 : i + 6], 16)))
                        i += 6
                        continue
                    if nx not in _ESCAPES:
                        raise _syntax(f"Illegal escape sequence '\\{nx}'.", i)
                    buf.append(_ESCAPES[nx])
                    i += 2
                    continue
                if ch == quote:
                    i += 1
                    break
                buf.append(ch)
                i += 1
            toks.append(Tok("string", "".join(buf), start))
            continue
        op = next((o for o in _OPS if text.startswith(o, i)), None)
        if op:
            toks.append(Tok("op", op, i))
            i += len(op)
            continue
        if c in RESERVED_CHARS:
            raise _syntax(
                f"The character '{c}' is a reserved JQL character. You must enclose it in a "
                f"string or use the escape '\\u{ord(c):04x}' instead.",
                i,
            )
        start = i
        while i < n and not text[i].isspace() and text[i] not in "\"'=!~<>(),&|" and text[i] not in RESERVED_CHARS:
            i += 1
        toks.append(Tok("word", text[start:i], start))
    toks.append(Tok("eof", "", n))
    return toks


# ---------------------------------------------------------------- AST


@dataclass
class Value:
    text: str
    quoted: bool
    pos: int


@dataclass
class Func:
    name: str
    args: list[str]
    pos: int


@dataclass
class Empty:
    pos: int


Operand = Value | Func | Empty | list[Value | Func | Empty]


@dataclass
class Clause:
    field: str
    op: str  # "=", "!=", "in", "not in", "is", "is not", "~", ...
    operand: Any
    pos: int


@dataclass
class BoolOp:
    op: str  # "and" | "or" | "not"
    args: list[Any]


@dataclass
class Sort:
    field: str
    desc: bool
    pos: int


@dataclass
class Query:
    where: Any  # Clause | BoolOp | None
    order: list[Sort] = field(default_factory=list)


# ---------------------------------------------------------------- parser


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = tokenize(text)
        self.i = 0

    @property
    def tok(self) -> Tok:
        return self.toks[self.i]

    def next(self) -> Tok:
        t = self.toks[self.i]
        self.i += 1
        return t

    def is_kw(self, *words: str) -> bool:
        return self.tok.kind == "word" and self.tok.low in words

    def parse(self) -> Query:
        where = None
        if not (self.tok.kind == "eof" or self.is_kw("order")):
            where = self.or_expr()
        order: list[Sort] = []
        if self.is_kw("order"):
            self.next()
            if not self.is_kw("by"):
                raise _syntax(f"Expecting 'by' but got {self.tok.show()}.", self.tok.pos)
            self.next()
            order.append(self.sort())
            while self.tok.kind == "op" and self.tok.text == ",":
                self.next()
                order.append(self.sort())
        if self.tok.kind != "eof":
            if where is not None and not order:
                raise _syntax(f"Expecting either 'OR' or 'AND' but got {self.tok.show()}.", self.tok.pos)
            raise _syntax(f"Expecting either ',' or end of query but got {self.tok.show()}.", self.tok.pos)
        return Query(where, order)

    def sort(self) -> Sort:
        t = self.tok
        if t.kind not in ("word", "string") or (t.kind == "word" and t.low in KEYWORDS):
            raise _syntax(f"Expecting a field name but got {t.show()}.", t.pos)
        self.next()
        desc = False
        if self.is_kw("asc", "desc"):
            desc = self.next().low == "desc"
        return Sort(t.text, desc, t.pos)

    def or_expr(self) -> Clause | BoolOp:
        args = [self.and_expr()]
        while self.is_kw("or") or (self.tok.kind == "op" and self.tok.text in ("||", "|")):
            self.next()
            args.append(self.and_expr())
        return args[0] if len(args) == 1 else BoolOp("or", args)

    def and_expr(self) -> Clause | BoolOp:
        args = [self.not_expr()]
        while self.is_kw("and") or (self.tok.kind == "op" and self.tok.text in ("&&", "&")):
            self.next()
            args.append(self.not_expr())
        return args[0] if len(args) == 1 else BoolOp("and", args)

    def not_expr(self) -> Clause | BoolOp:
        if self.is_kw("not") or (self.tok.kind == "op" and self.tok.text == "!"):
            self.next()
            return BoolOp("not", [self.not_expr()])
        if self.tok.kind == "op" and self.tok.text == "(":
            self.next()
            inner = self.or_expr()
            if not (self.tok.kind == "op" and self.tok.text == ")"):
                raise _syntax(f"Expecting ')' but got {self.tok.show()}.", self.tok.pos)
            self.next()
            return inner
        return self.clause()

    def clause(self) -> Clause:
        t = self.tok
        if t.kind == "eof":
            raise _syntax("Expecting a field name but got end of query.", None)
        if t.kind not in ("word", "string") or (t.kind == "word" and t.low in KEYWORDS):
            raise _syntax(f"Expecting a field name but got {t.show()}.", t.pos)
        self.next()
        op = self.operator()
        if op in ("was", "was not", "was in", "was not in", "changed"):
            raise JqlError(f"The operator '{op.upper()}' is not supported by this emulated Jira.")
        return Clause(t.text, op, self.operand(op), t.pos)

    def operator(self) -> str:
        t = self.tok
        if t.kind == "op" and t.text in ("=", "!=", ">", ">=", "<", "<=", "~", "!~"):
            self.next()
            return t.text
        if t.kind == "word":
            low = t.low
            if low == "in":
                self.next()
                return "in"
            if low == "not":
                self.next()
                if self.is_kw("in"):
                    self.next()
                    return "not in"
                raise _syntax(f"Expecting 'IN' but got {self.tok.show()}.", self.tok.pos)
            if low == "is":
                self.next()
                if self.is_kw("not"):
                    self.next()
                    return "is not"
                return "is"
            if low in ("was", "changed"):
                self.next()
                return low
        raise _syntax(f"Expecting operator but got {t.show()}. {OPERATORS_MSG}", t.pos if t.kind != "eof" else None)

    def operand(self, op: str) -> Operand:
        t = self.tok
        if op in ("in", "not in") or (t.kind == "op" and t.text == "("):
            if not (t.kind == "op" and t.text == "("):
                raise _syntax(f"Expecting '(' but got {t.show()}.", t.pos if t.kind != "eof" else None)
            self.next()
            items = [self.single()]
            while self.tok.kind == "op" and self.tok.text == ",":
                self.next()
                items.append(self.single())
            if not (self.tok.kind == "op" and self.tok.text == ")"):
                pos = self.tok.pos if self.tok.kind != "eof" else None
                raise _syntax(f"Expecting ')' but got {self.tok.show()}.", pos)
            self.next()
            return items
        return self.single()

    def single(self) -> Value | Func | Empty:
        t = self.tok
        if t.kind == "string":
            self.next()
            return Value(t.text, True, t.pos)
        if t.kind == "word":
            if t.low in ("empty", "null"):
                self.next()
                return Empty(t.pos)
            if t.low in KEYWORDS:
                raise _syntax(
                    f"Expecting either a value, list or function but got '{t.text}'. You must "
                    f"surround '{t.text}' in quotation marks to use it as a value.",
                    t.pos,
                )
            self.next()
            if self.tok.kind == "op" and self.tok.text == "(":
                self.next()
                args: list[str] = []
                while not (self.tok.kind == "op" and self.tok.text == ")"):
                    a = self.tok
                    if a.kind not in ("word", "string"):
                        raise _syntax(f"Expecting ')' but got {a.show()}.", a.pos if a.kind != "eof" else None)
                    args.append(a.text)
                    self.next()
                    if self.tok.kind == "op" and self.tok.text == ",":
                        self.next()
                self.next()
                return Func(t.text, args, t.pos)
            return Value(t.text, False, t.pos)
        raise _syntax(
            f"Expecting either a value, list or function but got {t.show()}.", t.pos if t.kind != "eof" else None
        )


def parse(text: str) -> Query:
    return _Parser(text or "").parse()
