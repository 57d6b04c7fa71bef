"""Atlassian Document Format <-> wiki markup, enough for issue descriptions and comments.

Cloud's v3 API speaks ADF and v2 speaks wiki text about the same stored body, so the emulator
keeps a body in the format it was written in and converts when the other version reads it.
Paragraphs, hard breaks, headings, lists, code blocks, quotes, rules and the common marks
round-trip; exotic nodes (media, panels, tables' attributes) degrade to their text.
"""

from __future__ import annotations

import re
from typing import Any

BLOCK_TYPES = {
    "paragraph",
    "heading",
    "bulletList",
    "orderedList",
    "listItem",
    "codeBlock",
    "blockquote",
    "rule",
    "panel",
    "table",
    "tableRow",
    "tableHeader",
    "tableCell",
    "mediaSingle",
    "mediaGroup",
    "media",
    "expand",
    "nestedExpand",
    "taskList",
    "taskItem",
    "decisionList",
    "decisionItem",
    "blockCard",
    "embedCard",
    "layoutSection",
    "layoutColumn",
    "extension",
    "bodiedExtension",
    "multiBodiedExtension",
    "extensionFrame",
    "caption",
    "mediaInline",
}
INLINE_TYPES = {
    "text",
    "hardBreak",
    "mention",
    "emoji",
    "inlineCard",
    "date",
    "status",
    "inlineExtension",
    "placeholder",
}
MARK_TYPES = {
    "strong",
    "em",
    "code",
    "strike",
    "underline",
    "link",
    "subsup",
    "textColor",
    "backgroundColor",
    "alignment",
    "indentation",
    "breakout",
    "annotation",
    "dataConsumer",
    "fragment",
    "border",
}


def is_valid_adf(doc: Any) -> bool:
    if not isinstance(doc, dict) or doc.get("type") != "doc" or doc.get("version") != 1:
        return False
    content = doc.get("content")
    return isinstance(content, list) and all(_valid_node(n, 0) for n in content)


def _valid_node(node: Any, depth: int) -> bool:
    if depth > 40 or not isinstance(node, dict):
        return False
    typ = node.get("type")
    if typ == "text":
        text = node.get("text")
        if not isinstance(text, str) or not text:
            return False
    elif typ not in BLOCK_TYPES and typ not in INLINE_TYPES:
        return False
    marks = node.get("marks")
    if marks is not None:
        if not isinstance(marks, list) or not all(isinstance(m, dict) and m.get("type") in MARK_TYPES for m in marks):
            return False
    attrs = node.get("attrs")
    if attrs is not None and not isinstance(attrs, dict):
        return False
    content = node.get("content")
    if content is not None:
        if not isinstance(content, list) or not all(_valid_node(c, depth + 1) for c in content):
            return False
    return True


def doc(*blocks: dict[str, Any]) -> dict[str, Any]:
    return {"type": "doc", "version": 1, "content": list(blocks)}


# ---------------------------------------------------------------- wiki -> ADF

_INLINE_RE = re.compile(
    r"\{\{(?P<code>.+?)\}\}"
    r"|\[(?P<ltext>[^\[\]|]+)\|(?P<lurl>[^\[\]|]+)\]"
    r"|\[~accountid:(?P<mention>[^\]]+)\]"
    r"|\[(?P<url>(?:https?|mailto):[^\[\]|\s]+)\]"
    r"|(?<![\w*])\*(?P<strong>[^\s*](?:[^*]*[^\s*])?)\*(?![\w*])"
    r"|(?<![\w_])_(?P<em>[^\s_](?:[^_]*[^\s_])?)_(?![\w_])"
    r"|(?<![\w-])-(?P<strike>[^\s-](?:[^-]*[^\s-])?)-(?![\w-])"
    r"|(?<![\w+])\+(?P<underline>[^\s+](?:[^+]*[^\s+])?)\+(?![\w+])"
)


def _inline(text: str, marks: list[Any] | None = None) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    pos = 0

    def add_text(t: str, m: list[Any] | None) -> None:
        if t:
            node: dict[str, Any] = {"type": "text", "text": t}
            if m:
                node["marks"] = [dict(x) for x in m]
            out.append(node)

    for mt in _INLINE_RE.finditer(text):
        add_text(text[pos : mt.start()], marks)
        pos = mt.end()
        base = list(marks or [])
        if mt.group("code") is not None:
            add_text(mt.group("code"), base + [{"type": "code"}])
        elif mt.group("lurl") is not None:
            out.extend(_inline(mt.group("ltext"), base + [{"type": "link", "attrs": {"href": mt.group("lurl")}}]))
        elif mt.group("mention") is not None:
            out.append({"type": "mention", "attrs": {"id": mt.group("mention"), "text": "@" + mt.group("mention")}})
        elif mt.group("url") is not None:
            add_text(mt.group("url"), base + [{"type": "link", "attrs": {"href": mt.group("url")}}])
        else:
            for name in ("strong", "em", "strike", "underline"):
                if mt.group(name) is not None:
                    out.extend(_inline(mt.group(name), base + [{"type": name}]))
                    break
    add_text(text[pos:], marks)
    return out


def _inline_lines(lines: list[str]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i, line in enumerate(lines):
        if i:
            out.append({"type": "hardBreak"})
        out.extend(_inline(line))
    return out


def _para(lines: list[str]) -> dict[str, Any]:
    content = _inline_lines(lines)
    return {"type": "paragraph", "content": content} if content else {"type": "paragraph"}


_HEADING = re.compile(r"^h([1-6])\.\s+(.*)$")
_LIST = re.compile(r"^([*#]+)\s+(.*)$")
_CODE_OPEN = re.compile(r"^\{(code|noformat)(?::([^}]*))?\}\s*$")


def wiki_to_adf(text: str) -> dict[str, Any]:
    lines = (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    blocks: list[dict[str, Any]] = []
    para: list[str] = []
    i = 0

    def flush() -> None:
        if para:
            blocks.append(_para(para))
            para.clear()

    while i < len(lines):
        line = lines[i]
        m = _CODE_OPEN.match(line)
        if m:
            flush()
            tag, lang = m.group(1), m.group(2)
            body: list[str] = []
            i += 1
            while i < len(lines) and lines[i].strip() != "{" + tag + "}":
                body.append(lines[i])
                i += 1
            node: dict[str, Any] = {"type": "codeBlock"}
            if tag == "code":
                node["attrs"] = {"language": lang} if lang else {}
            if body and "\n".join(body):
                node["content"] = [{"type": "text", "text": "\n".join(body)}]
            blocks.append(node)
            i += 1
            continue
        if not line.strip():
            flush()
            i += 1
            continue
        m = _HEADING.match(line)
        if m:
            flush()
            content = _inline(m.group(2))
            node = {"type": "heading", "attrs": {"level": int(m.group(1))}}
            if content:
                node["content"] = content
            blocks.append(node)
            i += 1
            continue
        if line.strip() == "----":
            flush()
            blocks.append({"type": "rule"})
            i += 1
            continue
        if line.startswith("bq. "):
            flush()
            blocks.append({"type": "blockquote", "content": [_para([line[4:]])]})
            i += 1
            continue
        m = _LIST.match(line)
        if m and not para:
            items: list[tuple[str, str]] = []
            while i < len(lines) and (lm := _LIST.match(lines[i])):
                items.append((lm.group(1), lm.group(2)))
                i += 1
            blocks.append(_build_list(items, 0)[0])
            continue
        para.append(line)
        i += 1
    flush()
    return doc(*blocks)


def _build_list(items: list[tuple[str, str]], start: int) -> tuple[dict[str, Any], int]:
    marker = items[start][0]
    depth = len(marker)
    kind = "bulletList" if marker[-1] == "*" else "orderedList"
    node: dict[str, Any] = {"type": kind, "content": []}
    i = start
    while i < len(items) and len(items[i][0]) >= depth:
        m, text = items[i]
        if len(m) == depth:
            node["content"].append({"type": "listItem", "content": [_para([text])]})
            i += 1
        else:
            sub, i = _build_list(items, i)
            if node["content"]:
                node["content"][-1]["content"].append(sub)
            else:
                node["content"].append({"type": "listItem", "content": [sub]})
    return node, i


# ---------------------------------------------------------------- ADF -> wiki


def _marks_wrap(text: str, marks: list[dict[str, Any]]) -> str:
    for m in marks or []:
        t = m.get("type")
        if t == "code":
            text = "{{" + text + "}}"
        elif t == "strong":
            text = "*" + text + "*"
        elif t == "em":
            text = "_" + text + "_"
        elif t == "strike":
            text = "-" + text + "-"
        elif t == "underline":
            text = "+" + text + "+"
    link = next((m for m in marks or [] if m.get("type") == "link"), None)
    if link:
        href = (link.get("attrs") or {}).get("href", "")
        text = f"[{href}]" if text == href else f"[{text}|{href}]"
    return text


def _inline_wiki(nodes: list[dict[str, Any]]) -> str:
    out = []
    for n in nodes or []:
        t = n.get("type")
        if t == "text":
            out.append(_marks_wrap(n.get("text", ""), n.get("marks") or []))
        elif t == "hardBreak":
            out.append("\n")
        elif t == "mention":
            out.append(f"[~accountid:{(n.get('attrs') or {}).get('id', '')}]")
        elif t == "emoji":
            a = n.get("attrs") or {}
            out.append(a.get("text") or a.get("shortName", ""))
        elif t == "inlineCard":
            out.append("[" + str((n.get("attrs") or {}).get("url", "")) + "]")
        elif t in ("status", "date", "placeholder"):
            a = n.get("attrs") or {}
            out.append(str(a.get("text") or a.get("timestamp") or ""))
        else:
            out.append(_inline_wiki(n.get("content") or []))
    return "".join(out)


def _list_wiki(node: dict[str, Any], prefix: str) -> list[str]:
    marker = prefix + ("*" if node["type"] == "bulletList" else "#")
    lines = []
    for item in node.get("content") or []:
        for child in item.get("content") or []:
            if child.get("type") in ("bulletList", "orderedList"):
                lines.extend(_list_wiki(child, marker))
            else:
                lines.append(marker + " " + _block_wiki(child))
    return lines


def _block_wiki(n: dict[str, Any]) -> str:
    t = n.get("type")
    content = n.get("content") or []
    if t == "paragraph":
        return _inline_wiki(content)
    if t == "heading":
        return f"h{(n.get('attrs') or {}).get('level', 1)}. " + _inline_wiki(content)
    if t in ("bulletList", "orderedList"):
        return "\n".join(_list_wiki(n, ""))
    if t == "codeBlock":
        attrs = n.get("attrs")
        body = "".join(c.get("text", "") for c in content)
        if attrs is None:
            return "{noformat}\n" + body + "\n{noformat}"
        lang = attrs.get("language")
        return ("{code:" + lang + "}" if lang else "{code}") + "\n" + body + "\n{code}"
    if t == "rule":
        return "----"
    if t == "blockquote":
        inner = [_block_wiki(c) for c in content]
        if len(inner) == 1 and "\n" not in inner[0]:
            return "bq. " + inner[0]
        return "{quote}\n" + "\n\n".join(inner) + "\n{quote}"
    if t == "table":
        rows = []
        for row in content:
            cells = row.get("content") or []
            parts = []
            for c in cells:
                sep = "||" if c.get("type") == "tableHeader" else "|"
                parts.append(sep + " ".join(_block_wiki(x) for x in c.get("content") or []))
            rows.append("".join(parts) + ("||" if cells and cells[-1].get("type") == "tableHeader" else "|"))
        return "\n".join(rows)
    if t in ("media", "mediaSingle", "mediaGroup", "mediaInline"):
        return "".join(_block_wiki(c) for c in content)
    if t in INLINE_TYPES:
        return _inline_wiki([n])
    return "\n\n".join(_block_wiki(c) for c in content)


def adf_to_wiki(d: dict[str, Any] | None) -> str:
    if not d:
        return ""
    return "\n\n".join(_block_wiki(b) for b in d.get("content") or [])


def adf_to_text(d: dict[str, Any] | None) -> str:
    """Plain text (no markup), for text search."""
    out: list[str] = []

    def walk(n: dict[str, Any]) -> None:
        if n.get("type") == "text":
            out.append(n.get("text", ""))
        elif n.get("type") == "hardBreak":
            out.append("\n")
        for c in n.get("content") or []:
            walk(c)
        if n.get("type") in BLOCK_TYPES:
            out.append("\n")

    if d:
        walk(d)
    return "".join(out).strip()
