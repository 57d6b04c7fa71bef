"""Wiki markup (Jira's text formatting notation) parsed into ADF, for :mod:`.markup`.

Blocks: paragraphs (a newline inside one is a line break), ``h1.``-``h6.``, ``*``/``#``/``-``
lists (nested, mixed), ``{code:lang}``/``{noformat}``, ``{quote}`` and ``bq.``, ``----``,
``||header||`` and ``|cell|`` tables; ``{panel}`` keeps its content. Inline: the marks, both
plain (``*x*``) and inside a word (``{*}x{*}``), ``{{code}}``, ``{color}``, links, mentions and
attachments (made plain), ``\\\\`` breaks, ``\\X`` escapes, ``--``/``---`` dashes as Jira shows them.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

Node = dict[str, Any]
Mark = dict[str, Any]

_MARK_CHARS = {"*": "strong", "_": "em", "-": "strike", "+": "underline", "^": "sup", "~": "sub"}
_ENTITY = re.compile(r"&(#\d{1,7}|#x[0-9a-fA-F]{1,6}|[A-Za-z]{2,8});")
_URL = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*://|mailto:|file:)\S*$")
_HEADING = re.compile(r"^\s*h([1-6])\.\s+(.*)$")
_LIST = re.compile(r"^\s*([*#]{1,20}|-)\s+(.*)$")  # deeper is text: no reader nests 20 lists
_CODE_OPEN = re.compile(r"^\s*\{(code|noformat)(?::([^}]*))?\}")
_QUOTE = "{quote}"
_PANEL = re.compile(r"^\s*\{panel(?::[^}]*)?\}\s*$")


def _ident(account: str) -> str:
    return account


def wiki_to_adf(text: str, display_name: Callable[[str], str] = _ident) -> dict[str, Any]:
    """An ADF document of wiki markup; mentions become the names ``display_name`` gives."""
    lines = (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return {"type": "doc", "version": 1, "content": _Blocks(display_name).parse(lines)}


class _Blocks:
    def __init__(self, display_name: Callable[[str], str]) -> None:
        self.name = display_name

    def parse(self, lines: list[str]) -> list[Node]:
        blocks: list[Node] = []
        para: list[str] = []

        def flush() -> None:
            if para:
                content = _Inline(self.name).parse("\n".join(para))
                if content:
                    blocks.append({"type": "paragraph", "content": content})
                para.clear()

        i = 0
        while i < len(lines):
            line = lines[i]
            stripped = line.strip()
            if not stripped:
                flush()
                i += 1
                continue
            code = _CODE_OPEN.match(line)
            if code:
                flush()
                node, i = self._code(lines, i, code)
                blocks.append(node)
                continue
            if stripped.startswith(_QUOTE) or _PANEL.match(line):
                flush()
                tag = _QUOTE if stripped.startswith(_QUOTE) else "{panel}"
                inner, i = _until(lines, i, line[line.index("}") + 1 :], tag)
                content = self.parse(inner)
                if tag == _QUOTE:
                    blocks.append(
                        {
                            "type": "blockquote",
                            "content": [_quotable(b) for b in content] or [{"type": "paragraph", "content": []}],
                        }
                    )
                else:
                    blocks.extend(content)
                continue
            heading = _HEADING.match(line)
            if heading:
                flush()
                blocks.append(
                    {
                        "type": "heading",
                        "attrs": {"level": int(heading.group(1))},
                        "content": _Inline(self.name).parse(heading.group(2).strip()),
                    }
                )
                i += 1
                continue
            if stripped == "----":
                flush()
                blocks.append({"type": "rule"})
                i += 1
                continue
            if stripped.startswith("bq. ") or stripped == "bq.":
                flush()
                content = _Inline(self.name).parse(stripped[4:].strip())
                blocks.append({"type": "blockquote", "content": [{"type": "paragraph", "content": content}]})
                i += 1
                continue
            if _LIST.match(line):
                flush()
                items: list[tuple[str, str]] = []
                while i < len(lines) and (m := _LIST.match(lines[i])):
                    items.append((m.group(1), m.group(2)))
                    i += 1
                j = 0
                while j < len(items):
                    node, j = self._list(items, j, 1)
                    blocks.append(node)
                continue
            if stripped.startswith("|"):
                flush()
                rows: list[Node] = []
                while i < len(lines) and lines[i].strip().startswith("|"):
                    rows.append(self._row(lines[i].strip()))
                    i += 1
                blocks.append({"type": "table", "content": rows})
                continue
            para.append(line)
            i += 1
        flush()
        return blocks

    def _code(self, lines: list[str], i: int, m: re.Match[str]) -> tuple[Node, int]:
        tag, language = m.group(1), _language(m.group(2))
        inner, i = _until(lines, i, lines[i][m.end() :], "{" + tag + "}")
        body = "\n".join(inner)
        node: Node = {"type": "codeBlock"}
        if tag == "code" and language:
            node["attrs"] = {"language": language}
        if body:
            node["content"] = [{"type": "text", "text": body}]
        return node, i

    def _list(self, items: list[tuple[str, str]], i: int, depth: int) -> tuple[Node, int]:
        kind = _list_kind(items[i][0], depth)
        node: Node = {"type": kind, "content": []}
        while i < len(items) and len(items[i][0]) >= depth:
            marker, text = items[i]
            if len(marker) == depth:
                if _list_kind(marker, depth) != kind:
                    break
                node["content"].append(
                    {"type": "listItem", "content": [{"type": "paragraph", "content": _Inline(self.name).parse(text)}]}
                )
                i += 1
            else:
                sub, i = self._list(items, i, depth + 1)
                if node["content"]:
                    node["content"][-1]["content"].append(sub)
                else:  # a deeper item first: an item with an empty paragraph holds it
                    node["content"].append({"type": "listItem", "content": [{"type": "paragraph", "content": []}, sub]})
        return node, i

    def _row(self, line: str) -> Node:
        cells: list[Node] = []
        for header, text in _cells(line):
            cells.append(
                {
                    "type": "tableHeader" if header else "tableCell",
                    "attrs": {},
                    "content": [{"type": "paragraph", "content": _Inline(self.name).parse(text.strip())}],
                }
            )
        return {"type": "tableRow", "content": cells}


def _list_kind(marker: str, depth: int) -> str:
    return "orderedList" if marker[min(depth, len(marker)) - 1] == "#" else "bulletList"


def _quotable(block: Node) -> Node:
    """ADF quotes hold paragraphs, lists and code, not headings: a heading becomes a paragraph."""
    if block.get("type") == "heading":
        return {"type": "paragraph", "content": block.get("content", [])}
    return block


def _until(lines: list[str], i: int, first: str, tag: str) -> tuple[list[str], int]:
    """The lines from ``first`` (line ``i`` after its opening tag) up to the closing ``tag``,
    and the index to go on from. The newlines right after the opening tag and right before
    the closing one only separate; text after the closing tag stays as a line of its own."""
    inner: list[str] = []
    current, j = first, i
    while True:
        end = current.find(tag)
        if end >= 0:
            head, tail = current[:end], current[end + len(tag) :]
            if head:
                inner.append(head)
            if tail.strip():
                lines[j] = tail.lstrip()
                return inner, j
            return inner, j + 1
        if j != i or current:
            inner.append(current)
        j += 1
        if j >= len(lines):
            return inner, j
        current = lines[j]


def _language(params: str | None) -> str:
    """``{code:java}``, ``{code:language=java|title=x}``: the language, or ""."""
    for param in (params or "").split("|"):
        key, eq, value = param.partition("=")
        if not eq:
            return key.strip()
        if key.strip() == "language":
            return value.strip()
    return ""


def _cells(line: str) -> list[tuple[bool, str]]:
    """``||a||b||`` / ``|a|b|`` split into (is header, text), pipes in links and escapes kept."""
    out: list[tuple[bool, str]] = []
    i, n = 0, len(line)
    header, buf, started = False, [], False
    depth = 0
    while i < n:
        ch = line[i]
        if ch == "\\" and i + 1 < n:
            buf.append(line[i : i + 2])
            i += 2
            continue
        if ch == "[":
            depth += 1
        elif ch == "]" and depth:
            depth -= 1
        if ch == "|" and depth == 0:
            if started:
                out.append((header, "".join(buf)))
            header = line.startswith("||", i)
            i += 2 if header else 1
            buf, started = [], True
            continue
        buf.append(ch)
        i += 1
    if started and "".join(buf).strip():
        out.append((header, "".join(buf)))
    return out


class _Inline:
    def __init__(self, display_name: Callable[[str], str]) -> None:
        self.name = display_name

    def parse(self, text: str) -> list[Node]:
        return _merge(self._run(text, []))

    def _run(self, s: str, marks: list[Mark]) -> list[Node]:
        out: list[Node] = []
        buf: list[str] = []

        def flush() -> None:
            if buf:
                out.append(_text("".join(buf), marks))
                buf.clear()

        i, n = 0, len(s)
        scan = _Scanner(s)
        while i < n:
            ch = s[i]
            if s.startswith("\\\\", i) or ch == "\n":
                flush()
                out.append({"type": "hardBreak"})
                i += 1 if ch == "\n" else 2
                continue
            if ch == "\\" and i + 1 < n and not s[i + 1].isalnum() and not s[i + 1].isspace():
                buf.append(s[i + 1])
                i += 2
                continue
            if ch == "&" and (ent := _ENTITY.match(s, i)):
                buf.append(html.unescape(ent.group()))
                i = ent.end()
                continue
            if s.startswith("{{", i):
                end = scan.find(i + 2, "}}")
                if end > i + 2:
                    flush()
                    out.extend(self._run(s[i + 2 : end], [*marks, {"type": "code"}]))
                    i = end + 2
                    continue
            if s.startswith("{color:", i):
                close = s.find("}", i)
                end = scan.find(close + 1, "{color}") if close > 0 else -1
                if end > 0:
                    flush()
                    color = s[i + 7 : close].strip()
                    out.extend(
                        self._run(s[close + 1 : end], [*marks, {"type": "textColor", "attrs": {"color": color}}])
                    )
                    i = end + 7
                    continue
            if ch == "[":
                end = scan.find(i + 1, "]")
                if end > i + 1 and (nodes := self._bracket(s[i + 1 : end], marks)) is not None:
                    flush()
                    out.extend(nodes)
                    i = end + 1
                    continue
            if ch == "!" and i + 1 < n and not s[i + 1].isspace():
                end = s.find("!", i + 1)
                target = s[i + 1 : end].split("|")[0] if end > 0 else ""
                if target and "\n" not in target and not target[-1].isspace():
                    buf.append(f"[attachment: {target.rsplit('/', 1)[-1] if _URL.match(target) else target}]")
                    i = end + 1
                    continue
            mark = _mark_at(s, i, scan)
            if mark is not None:
                kind, inner_start, inner_end, after = mark
                flush()
                out.extend(self._run(s[inner_start:inner_end], [*marks, _mark(kind)]))
                i = after
                continue
            if s.startswith("---", i):
                buf.append("\u2014")
                i += 3
                continue
            if s.startswith("--", i):
                buf.append("\u2013")
                i += 2
                continue
            buf.append(ch)
            i += 1
        flush()
        return out

    def _bracket(self, inner: str, marks: list[Mark]) -> list[Node] | None:
        if inner.startswith("~"):
            ident = inner[1:]
            ident = ident.split(":", 1)[1] if ident.lower().startswith("accountid:") else ident
            return [_text(self.name(ident), marks)]
        if inner.startswith("^"):
            return [_text(f"[attachment: {inner[1:]}]", marks)]
        parts = _split_pipe(inner)
        if len(parts) >= 2:
            href = parts[1].strip()
            return self._run(parts[0], [*marks, {"type": "link", "attrs": {"href": href}}])
        if _URL.match(inner.strip()):
            href = inner.strip()
            return [_text(href, [*marks, {"type": "link", "attrs": {"href": href}}])]
        return None


def _split_pipe(text: str) -> list[str]:
    parts, buf, i = [], [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            buf.append(text[i : i + 2])
            i += 2
            continue
        if text[i] == "|":
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(text[i])
        i += 1
    parts.append("".join(buf))
    return parts


class _Scanner:
    """Searches forward in one string, remembering answers: a later search from between the
    last start and its answer has the same answer, so a line of 10,000 unclosed ``[`` or
    ``*`` costs one scan, not 10,000 (Jira bodies run to 32,767 characters)."""

    def __init__(self, s: str) -> None:
        self.s = s
        self._found: dict[str, tuple[int, int, int]] = {}  # token -> (from, answer or -1, scanned up to)

    def find(self, start: int, token: str) -> int:
        """Index of ``token`` from ``start``, skipping backslash escapes; -1 if absent."""
        hit = self._remembered(token, start)
        if hit is not None:
            return hit
        s, i = self.s, start
        while i < len(s):
            if s[i] == "\\":  # an escaped character, or a line break: skipped whole
                i += 2
                continue
            if s.startswith(token, i):
                return self._remember(token, start, i, i)
            i += 1
        return self._remember(token, start, -1, len(s))

    def closing(self, start: int, delim: str) -> tuple[int, int] | None:
        """Where a mark opened just before ``start`` closes: (inner end, index after the
        closing delimiter), or None when the line ends first."""
        key = "close" + delim
        hit = self._remembered(key, start)
        if hit is None:
            hit = self._scan_closing(start, delim, key)
        if hit < 0:
            return None
        braced = delim != "??" and self.s.startswith("{" + delim + "}", hit)
        return hit, hit + (3 if braced else len(delim))

    def _scan_closing(self, start: int, delim: str, key: str) -> int:
        s, j = self.s, start
        while j < len(s):
            if s[j] == "\\":
                j += 2
                continue
            if s[j] == "\n":
                return self._remember(key, start, -1, j)
            if j > start:
                if delim != "??" and s.startswith("{" + delim + "}", j):
                    return self._remember(key, start, j, j)
                if s.startswith(delim, j) and not s[j - 1].isspace():
                    after = j + len(delim)
                    if after >= len(s) or not s[after].isalnum():
                        return self._remember(key, start, j, j)
            j += 1
        return self._remember(key, start, -1, len(s))

    def _remembered(self, key: str, start: int) -> int | None:
        known = self._found.get(key)
        if known is None:
            return None
        since, answer, until = known
        if since <= start and (start < answer if answer >= 0 else start < until):
            return answer
        return None

    def _remember(self, key: str, start: int, answer: int, until: int) -> int:
        self._found[key] = (start, answer, until)
        return answer


def _mark_at(s: str, i: int, scan: _Scanner) -> tuple[str, int, int, int] | None:
    """A mark opening at ``i`` (``*x*``, ``{*}x{*}``, ``??x??``): kind, inner span, end."""
    braced = s.startswith("{", i) and len(s) > i + 2 and s[i + 1] in _MARK_CHARS and s[i + 2] == "}"
    if braced:
        delim, start = s[i + 1], i + 3
    elif s.startswith("??", i):
        delim, start = "??", i + 2
    elif s[i] in _MARK_CHARS:
        delim, start = s[i], i + 1
        if i and (s[i - 1].isalnum() or s[i - 1] == delim):
            return None
    else:
        return None
    if start >= len(s) or s[start].isspace() or s.startswith(delim, start):
        return None
    found = scan.closing(start, delim)
    if found is None:
        return None
    end, after = found
    return ("em" if delim == "??" else _MARK_CHARS[delim]), start, end, after


def _mark(kind: str) -> Mark:
    if kind in ("sup", "sub"):
        return {"type": "subsup", "attrs": {"type": kind}}
    return {"type": kind}


def _text(text: str, marks: list[Mark]) -> Node:
    node: Node = {"type": "text", "text": text}
    if marks:
        node["marks"] = [dict(m) for m in marks]
    return node


def _merge(nodes: list[Node]) -> list[Node]:
    out: list[Node] = []
    for node in nodes:
        if node.get("type") == "text" and not node.get("text"):
            continue
        if (
            out
            and node.get("type") == "text"
            and out[-1].get("type") == "text"
            and out[-1].get("marks") == node.get("marks")
        ):
            out[-1] = {**out[-1], "text": out[-1]["text"] + node["text"]}
        else:
            out.append(node)
    return out
