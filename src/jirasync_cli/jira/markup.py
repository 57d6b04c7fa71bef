"""Bodies between sites: Atlassian Document Format (Cloud, v3) <-> wiki markup (Data Center, v2).

A cross-site pair copies descriptions, comments and templates from a site speaking one format
to a site speaking the other. The conversion keeps what both formats can say (paragraphs,
headings, marks, nested lists, code blocks, quotes, links, tables, rules, line breaks) and
turns what belongs to the source site into plain text: a mention becomes the person's name
(a mention would notify, or point at, someone on the other site), an attachment or image
becomes ``[attachment: name]``, an emoji its text, an unknown node its text.

Wiki markup follows Jira's text formatting notation: ``*strong*``, ``_em_``, ``-strike-``,
``+underline+``, ``^sup^``, ``~sub~``, ``{{code}}``, ``{color:red}..{color}``, ``{*}..{*}``
inside a word, ``\\\\`` a forced line break, ``\\X`` a literal ``X``; plain text is escaped so
a ``*`` typed on one site does not become bold on the other. :mod:`.markup_wiki` parses it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from jirasync_cli.jira.adf import Body, sanitize
from jirasync_cli.jira.markup_wiki import wiki_to_adf

__all__ = ["DisplayName", "adf_to_wiki", "convert", "escape_text", "normalize_adf", "template_body", "wiki_to_adf"]

DisplayName = Callable[[str], str]  # account id / user name / key -> the person's display name

Node = dict[str, Any]

# Mark order, outermost first: one canonical nesting, so a round trip gives the same document.
MARK_ORDER = ("link", "textColor", "strong", "em", "underline", "strike", "subsup", "code")
_DELIMS = {"strong": "*", "em": "_", "underline": "+", "strike": "-"}
_MEDIA = frozenset({"media", "mediaInline", "mediaSingle", "mediaGroup"})
_LISTS = frozenset({"bulletList", "orderedList", "taskList", "decisionList"})


def convert(body: Body | None, *, to_adf: bool, display_name: DisplayName) -> Body:
    """``body`` (ADF or wiki, either) in the format of the target site: ADF when ``to_adf``.
    Mentions become names and attachments placeholders in every direction; ADF to ADF keeps
    every other node as it is (both sites read it), wiki to wiki goes through the converter
    so the placeholders are escaped text, not links."""
    if body is None or body == "":
        return wiki_to_adf("", display_name) if to_adf else ""
    if isinstance(body, str):
        return wiki_to_adf(body, display_name) if to_adf else adf_to_wiki(wiki_to_adf(body, display_name), display_name)
    if to_adf:
        clean = sanitize(body, display_name)
        return clean if isinstance(clean, dict) else wiki_to_adf(str(clean), display_name)
    return adf_to_wiki(body, display_name)


_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def template_body(template: str, values: Mapping[str, str | None], *, to_adf: bool, display_name: DisplayName) -> Body:
    """A comment template for either kind of site. The template is wiki markup on both (so
    ``*Fixed* in ${targetKey}`` is bold on Cloud too, as it always was on Data Center); the
    values filled in are plain text (a summary's ``*`` stays a star). A placeholder without a
    value stays as written."""

    def fill(m: re.Match[str]) -> str:
        value = values.get(m.group(1))
        return escape_text(value) if value is not None else escape_text(m.group(0))

    wiki = _PLACEHOLDER.sub(fill, template)
    return wiki_to_adf(wiki, display_name) if to_adf else wiki


# ---------------------------------------------------------------- ADF -> wiki


def adf_to_wiki(doc: dict[str, Any] | None, display_name: DisplayName) -> str:
    """Wiki markup of an ADF document."""
    if not isinstance(doc, dict):
        return ""
    return _blocks(_children(doc), display_name).strip("\n")


def _children(node: Node) -> list[Node]:
    content = node.get("content")
    return [c for c in content if isinstance(c, dict)] if isinstance(content, list) else []


def _attrs(node: Node) -> dict[str, Any]:
    attrs = node.get("attrs")
    return attrs if isinstance(attrs, dict) else {}


def _blocks(nodes: list[Node], name: DisplayName) -> str:
    out: list[str] = []
    inline: list[Node] = []  # inline nodes found among blocks (lenient input) form a paragraph
    for node in nodes:
        if node.get("type") in _INLINE_KINDS:
            inline.append(node)
            continue
        if inline:
            out.append(_paragraph(inline, name))
            inline = []
        text = _block(node, name)
        if text:
            out.append(text)
    if inline:
        out.append(_paragraph(inline, name))
    return "\n\n".join(out)


def _block(node: Node, name: DisplayName) -> str:
    kind = node.get("type")
    content = _children(node)
    if kind == "paragraph":
        return _paragraph(content, name)
    if kind == "heading":
        level = _attrs(node).get("level")
        level = level if isinstance(level, int) and 1 <= level <= 6 else 1
        return f"h{level}. " + _inline(content, name, line_start=False, in_table=True).strip()
    if kind in _LISTS:
        return "\n".join(_list(node, "", name))
    if kind == "codeBlock":
        body = "".join(str(c.get("text") or "") for c in content)
        language = _attrs(node).get("language")
        plain = "{noformat}" not in body  # the body must not contain its own closing tag
        if "{code" not in body and (not plain or (language and re.fullmatch(r"[\w#+.-]+", str(language)))):
            return f"{{code:{language}}}\n{body}\n{{code}}" if language else f"{{code}}\n{body}\n{{code}}"
        return f"{{noformat}}\n{body.replace('{noformat}', '{noformat }')}\n{{noformat}}"
    if kind == "rule":
        return "----"
    if kind == "blockquote":
        if len(content) == 1 and content[0].get("type") == "paragraph":
            text = _paragraph(_children(content[0]), name)
            if text and "\n" not in text:
                return "bq. " + text
        return "{quote}\n" + _blocks(content, name) + "\n{quote}"
    if kind == "table":
        return "\n".join(_row(row, name) for row in content if row.get("type") == "tableRow")
    if kind in _MEDIA:
        return _escape_plain(_media_text(node), line_start=True)
    if kind in ("blockCard", "embedCard"):
        url = str(_attrs(node).get("url") or "")
        return f"[{_url(url)}]" if url else ""
    return _blocks(content, name)  # panel, expand, layouts, unknown: their content


def _paragraph(nodes: list[Node], name: DisplayName, *, one_line: bool = False) -> str:
    """A paragraph's inline nodes; a line break is a newline, or ``\\\\`` where a newline
    would end the paragraph (an empty line) or vanish (at its start or end)."""
    lines: list[list[Node]] = [[]]
    for node in nodes:
        if node.get("type") == "hardBreak":
            lines.append([])
        elif node.get("type") == "text" and "\n" in str(node.get("text") or ""):
            for k, part in enumerate(str(node["text"]).split("\n")):
                if k:
                    lines.append([])
                if part:
                    lines[-1].append({**node, "text": part})
        else:
            lines[-1].append(node)
    texts = [_inline(line, name, line_start=True) for line in lines]
    if not any(t.strip() for t in texts):
        return ""  # nothing to show: no paragraph
    if len(texts) > 1 and all(t.strip() for t in texts) and not one_line:
        return "\n".join(texts)
    texts = [_inline(line, name, line_start=True, after="\\") for line in lines]  # "!\\" is no image
    return "\\\\".join(texts).replace("\n", "\\\\")


def _list(node: Node, prefix: str, name: DisplayName) -> list[str]:
    marker = prefix + ("#" if node.get("type") == "orderedList" else "*")
    lines: list[str] = []
    for item in _children(node):
        text: list[str] = []
        nested: list[str] = []
        for child in _children(item) if item.get("type") in ("listItem", "taskItem", "decisionItem") else [item]:
            if child.get("type") in _LISTS:
                nested.extend(_list(child, marker, name))
            elif child.get("type") in _INLINE_KINDS:
                text.append(_inline([child], name, line_start=False, in_table=True))
            else:
                text.append(_cell_text(child, name))
        lines.append(f"{marker} " + "\\\\".join(t for t in text if t))
        lines.extend(nested)
    return lines


def _row(row: Node, name: DisplayName) -> str:
    cells = [c for c in _children(row) if c.get("type") in ("tableHeader", "tableCell")]
    out = []
    for cell in cells:
        sep = "||" if cell.get("type") == "tableHeader" else "|"
        text = "\\\\".join(t for t in (_cell_text(c, name) for c in _children(cell)) if t)
        out.append(sep + (text or " "))
    closing = "||" if cells and cells[-1].get("type") == "tableHeader" else "|"
    return "".join(out) + closing


def _cell_text(node: Node, name: DisplayName) -> str:
    """A block inside a table cell or list item: one line (breaks as ``\\\\``)."""
    kind = node.get("type")
    if kind in ("paragraph", "heading"):
        return _paragraph(_children(node), name, one_line=True)
    if kind in _MEDIA:
        return _escape_plain(_media_text(node), line_start=False)
    if kind in _INLINE_KINDS:
        return _inline([node], name, line_start=False, in_table=True)
    if kind == "codeBlock":  # one line: monospace, its line breaks as breaks
        body = "".join(str(c.get("text") or "") for c in _children(node))
        lines = [_escape_plain(line, line_start=False, code=True) for line in body.split("\n")]
        return "\\\\".join("{{" + line + "}}" if line.strip() else "" for line in lines)
    if kind in _LISTS:
        return "\\\\".join(line.split(" ", 1)[1] for line in _list(node, "", name))
    return "\\\\".join(t for t in (_cell_text(c, name) for c in _children(node)) if t)


def _media_text(node: Node) -> str:
    names: list[str] = []

    def walk(n: Node) -> None:
        if n.get("type") in ("media", "mediaInline"):
            attrs = _attrs(n)
            names.append(str(attrs.get("alt") or attrs.get("filename") or attrs.get("name") or "file"))
        for child in _children(n):
            walk(child)

    walk(node)
    return f"[attachment: {', '.join(names) or 'file'}]"


# -- inline ------------------------------------------------------------------------------------

_INLINE_KINDS = frozenset(
    {
        "text",
        "hardBreak",
        "mention",
        "emoji",
        "inlineCard",
        "date",
        "status",
        "mediaInline",
        "placeholder",
        "inlineExtension",
    }
)
_PIECE = tuple[str, Any, Any]  # ("text", plain text, None) | ("mark", inner pieces or code text, mark)


def _inline(nodes: list[Node], name: DisplayName, *, line_start: bool, in_table: bool = False, after: str = "") -> str:
    runs = [("\n", ()) if n.get("type") == "hardBreak" else (_plain_of(n, name), _sorted_marks(n)) for n in nodes]
    runs = _merge([(t, m) for t, m in runs if t])
    pieces = _nest(runs)
    text = _join(pieces, line_start=line_start, after=after)
    return text.replace("\n", "\\\\") if in_table else text


def _plain_of(node: Node, name: DisplayName) -> str:
    """The text a node shows, before escaping (``\\n`` only from hard breaks)."""
    kind = node.get("type")
    attrs = _attrs(node)
    if kind == "text":
        return str(node.get("text") or "")
    if kind == "mention":
        shown = str(attrs.get("text") or "").lstrip("@")
        return shown or name(str(attrs.get("id") or ""))
    if kind == "emoji":
        return str(attrs.get("text") or attrs.get("shortName") or "")
    if kind == "inlineCard":
        return str(attrs.get("url") or "")
    if kind == "date":
        return _date(attrs.get("timestamp"))
    if kind == "status":
        return str(attrs.get("text") or "")
    if kind == "mediaInline":
        return _media_text(node)
    return "".join(_plain_of(c, name) for c in _children(node))


def _date(stamp: Any) -> str:
    from datetime import UTC, datetime

    try:
        return datetime.fromtimestamp(int(stamp) / 1000, UTC).strftime("%Y-%m-%d")
    except (TypeError, ValueError, OverflowError, OSError):
        return str(stamp or "")


def _mark_key(mark: dict[str, Any]) -> tuple[Any, ...]:
    raw = mark.get("attrs")
    attrs: dict[str, Any] = raw if isinstance(raw, dict) else {}
    kind = mark.get("type")
    if kind == "link":
        return ("link", str(attrs.get("href") or ""))
    if kind == "textColor":
        return ("textColor", str(attrs.get("color") or ""))
    if kind == "subsup":
        return ("subsup", "sup" if attrs.get("type") == "sup" else "sub")
    return (kind,)


def _sorted_marks(node: Node) -> tuple[tuple[Any, ...], ...]:
    if node.get("type") == "inlineCard":
        url = str(_attrs(node).get("url") or "")
        return (("link", url),) if url else ()
    raw = node.get("marks") if node.get("type") == "text" else None
    keys = {_mark_key(m) for m in raw or [] if isinstance(m, dict) and m.get("type") in MARK_ORDER}
    return tuple(sorted(keys, key=lambda k: (MARK_ORDER.index(k[0]), k[1:])))


def _merge(runs: list[tuple[str, tuple[tuple[Any, ...], ...]]]) -> list[tuple[str, tuple[tuple[Any, ...], ...]]]:
    out: list[tuple[str, tuple[tuple[Any, ...], ...]]] = []
    for text, marks in runs:
        if out and out[-1][1] == marks:
            out[-1] = (out[-1][0] + text, marks)
        else:
            out.append((text, marks))
    return out


def _nest(runs: list[tuple[str, tuple[tuple[Any, ...], ...]]]) -> list[_PIECE]:
    """Runs of marked text as nested mark pieces: the outermost mark spans as far as it can."""
    pieces: list[_PIECE] = []
    i = 0
    while i < len(runs):
        text, marks = runs[i]
        if not marks:
            pieces.append(("text", text, None))
            i += 1
            continue
        outer = marks[0]
        j = i
        while j < len(runs) and (outer in runs[j][1] if outer[0] != "code" else runs[j][1] == marks):
            j += 1
        inner = [(t, tuple(m for m in ms if m != outer)) for t, ms in runs[i:j]]
        if outer[0] == "code":  # code is innermost: its text is literal, no nested marks
            pieces.append(("mark", "".join(t for t, _ in inner), outer))
        else:
            pieces.append(("mark", _nest(inner), outer))
        i = j
    return pieces


def _join(pieces: list[_PIECE], *, line_start: bool, after: str = "", resolve: bool = True) -> str:
    """Render pieces; whitespace at a mark's edges moves outside it (Jira ignores ``* x*``),
    and a mark touching a letter uses the brace form ``{*}x{*}``."""
    flat: list[tuple[str, str]] = []  # (kind, text): "raw" rendered markup, "plain" unescaped text
    at_start = line_start
    for kind, value, mark in pieces:
        if kind == "text":
            flat.append(("plain", value))
            at_start = value.endswith("\n") or (at_start and not value.strip())
        else:
            flat.extend(_render_mark(value, mark, at_start))  # "*#*" at a line's start is a list
            at_start = False
    out: list[str] = []
    last = ""  # the last character written
    for i, (kind, text) in enumerate(flat):
        if kind == "plain":
            at_start = line_start and (not out or out[-1].endswith("\n"))
            following = next((t[:1] for _, t in flat[i + 1 :] if t), after)
            text = _escape_plain(text, line_start=at_start, before=last, after=following)
        out.append(text)
        last = text[-1:] or last
    return _braces("".join(out)) if resolve else "".join(out)  # delimiters resolve once, at the top


def _render_mark(value: Any, mark: tuple[Any, ...], line_start: bool) -> list[tuple[str, str]]:
    if mark[0] == "code":
        inner_plain = str(value)
        core = inner_plain.strip() or inner_plain
        lead, trail = _edges(inner_plain, core)
        return [
            ("plain", lead),
            ("raw", "{{" + _escape_plain(core, line_start=False, code=True) + "}}"),
            ("plain", trail),
        ]
    inner = _join(value, line_start=line_start, resolve=False)
    stripped = inner.strip(" ")
    if not stripped:
        return [("raw", inner)]
    lead, trail = " " * (len(inner) - len(inner.lstrip(" "))), " " * (len(inner) - len(inner.rstrip(" ")))
    kind = mark[0]
    if kind == "link":
        href = _url(mark[1])
        shown = f"[{href}]" if stripped == _escape_plain(mark[1], line_start=False) else f"[{stripped}|{href}]"
        body = shown
    elif kind == "textColor":
        body = "{color:" + mark[1] + "}" + stripped + "{color}"
    elif kind == "subsup":
        delim = "^" if mark[1] == "sup" else "~"
        body = _SOFT_OPEN + delim + stripped + _SOFT_CLOSE + delim
    else:
        delim = _DELIMS[kind]
        body = _SOFT_OPEN + delim + stripped + _SOFT_CLOSE + delim
    return [("plain", lead), ("raw", body), ("plain", trail)]


# Placeholders for mark delimiters until the neighbours are known: "{*}" inside a word, "*" otherwise.
_SOFT_OPEN, _SOFT_CLOSE = "\x01", "\x02"


def _braces(text: str) -> str:
    """Soft delimiters made real: plain where Jira sees them (a non-word character outside),
    ``{*}`` on both ends of a mark where either end touches a letter, digit or the same delimiter."""
    out: list[str] = []
    opened: list[tuple[int, str, bool]] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == _SOFT_OPEN:
            delim, before = text[i + 1], _visible_before(out)
            out.append(delim)
            opened.append((len(out) - 1, delim, before.isalnum() or before == delim))
            i += 2
            continue
        if ch == _SOFT_CLOSE:
            delim, after = text[i + 1], _visible_after(text, i + 2)
            at, _, braced = opened.pop()
            braced = braced or after.isalnum() or after == delim
            out.append("{" + delim + "}" if braced else delim)
            if braced:
                out[at] = "{" + delim + "}"
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _visible_before(out: list[str]) -> str:
    for piece in reversed(out):
        if piece:
            return piece[-1]
    return ""


def _visible_after(text: str, i: int) -> str:
    while i < len(text) and text[i] in (_SOFT_OPEN, _SOFT_CLOSE):
        i += 2
    return text[i] if i < len(text) else ""


def _edges(whole: str, core: str) -> tuple[str, str]:
    start = whole.find(core)
    return whole[:start], whole[start + len(core) :]


def _url(href: str) -> str:
    return href.replace("|", "%7C").replace("]", "%5D").replace("[", "%5B").replace(" ", "%20")


# -- escaping ----------------------------------------------------------------------------------

# Characters that start markup anywhere: escaped always.
_ALWAYS = frozenset("{}[]|^~")
# Mark characters: literal between two letters or digits (Jira needs a non-word char before a mark).
_MARKS = frozenset("*_-+")
_LINE_START = re.compile(r"(h[1-6]\.|bq\.)(?=\s|$)")


def escape_text(text: str) -> str:
    """Plain text as wiki markup that Jira shows as exactly this text."""
    return _escape_plain(text, line_start=True)


def _escape_plain(text: str, *, line_start: bool, before: str = "", after: str = "", code: bool = False) -> str:
    out: list[str] = []
    n = len(text)
    at_line_start = line_start
    i = 0
    while i < n:
        ch = text[i]
        prev = text[i - 1] if i else before
        nxt = text[i + 1] if i + 1 < n else after
        if ch == "\n":
            out.append("\n")
            at_line_start = True
            i += 1
            continue
        m = _LINE_START.match(text, i) if at_line_start and not code else None
        if m:  # "h1. " or "bq. " typed as text: not a heading or quote on the other site
            out.append(m.group(1)[:-1] + "\\.")
            i += len(m.group(1))
            at_line_start = False
            continue
        if ch == "\\":
            out.append("\\" if nxt.isalnum() else "&#92;")  # "\\" before anything else escapes or breaks
        elif ch == "&" and re.match(r"&(#\d+|#x[0-9a-fA-F]+|[A-Za-z]+);", text[i:]):
            out.append("&amp;")
        elif ch in _ALWAYS:
            out.append("\\" + ch)
        elif ch in _MARKS:
            inside_word = prev.isalnum() and nxt.isalnum()
            out.append(ch if inside_word and not at_line_start else "\\" + ch)
        elif ch == "#" and at_line_start:
            out.append("\\#")
        elif ch == "?" and (prev == "?" or nxt == "?"):
            out.append("\\?")
        elif ch == "!" and nxt and not nxt.isspace():
            out.append("\\!")
        else:
            out.append(ch)
        if not ch.isspace():
            at_line_start = False
        i += 1
    return "".join(out)


# -- ADF normal form (what a round trip returns) ---------------------------------------------


def normalize_adf(doc: dict[str, Any]) -> dict[str, Any]:
    """The document as :func:`wiki_to_adf` would give it back: adjacent text with equal
    marks merged, marks in one order, empty text dropped. Round-trip tests compare these."""
    return {"type": "doc", "version": 1, "content": [_norm(n) for n in _children(doc)]}


def _norm(node: Node) -> Node:
    out: Node = {"type": node.get("type")}
    if _attrs(node):
        out["attrs"] = dict(_attrs(node))
    if node.get("type") == "text":
        out["text"] = node.get("text")
        marks = _sorted_marks(node)
        if marks:
            out["marks"] = [_mark_node(m) for m in marks]
        return out
    if "content" in node:
        merged: list[Node] = []
        for child in (_norm(c) for c in _children(node)):
            if child.get("type") == "text" and not child.get("text"):
                continue
            if (
                merged
                and child.get("type") == "text"
                and merged[-1].get("type") == "text"
                and merged[-1].get("marks") == child.get("marks")
            ):
                merged[-1] = {**merged[-1], "text": str(merged[-1]["text"]) + str(child["text"])}
            else:
                merged.append(child)
        out["content"] = merged
    return out


def _mark_node(key: tuple[Any, ...]) -> dict[str, Any]:
    kind = key[0]
    if kind == "link":
        return {"type": "link", "attrs": {"href": key[1]}}
    if kind == "textColor":
        return {"type": "textColor", "attrs": {"color": key[1]}}
    if kind == "subsup":
        return {"type": "subsup", "attrs": {"type": key[1]}}
    return {"type": kind}
