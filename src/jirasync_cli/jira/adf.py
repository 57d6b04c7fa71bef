"""Atlassian Document Format (v3 bodies) and wiki text (v2 bodies): the few conversions we need.

A mirrored comment keeps its original body (ADF stays ADF on v3) with an attribution
paragraph in front, so formatting survives; templates are plain text turned into either form.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Body = str | dict[str, Any]


def text_to_adf(text: str) -> dict[str, Any]:
    paragraphs = []
    for block in text.split("\n\n"):
        content: list[dict[str, Any]] = []
        for i, line in enumerate(block.split("\n")):
            if i:
                content.append({"type": "hardBreak"})
            if line:
                content.append({"type": "text", "text": line})
        paragraphs.append({"type": "paragraph", "content": content})
    return {"type": "doc", "version": 1, "content": paragraphs}


def to_text(body: Body | None) -> str:
    """Plain text of a body, for display, hashing and templates."""
    if body is None:
        return ""
    if isinstance(body, str):
        return body
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            kind = node.get("type")
            if kind == "text":
                out.append(str(node.get("text", "")))
            elif kind == "hardBreak":
                out.append("\n")
            elif kind in ("mention", "emoji", "inlineCard"):
                attrs = node.get("attrs") or {}
                out.append(str(attrs.get("text") or attrs.get("shortName") or attrs.get("url") or ""))
            for child in node.get("content") or []:
                walk(child)
            if kind in ("paragraph", "heading", "codeBlock", "listItem", "blockquote"):
                out.append("\n")
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(body)
    return "".join(out).strip()


def render(text: str, adf: bool) -> Body:
    return text_to_adf(text) if adf else text


def prepend(header: str, body: Body | None, adf: bool) -> Body:
    """``header`` as a first paragraph (ADF) or line (wiki), then the original body."""
    if adf:
        doc = body if isinstance(body, dict) else text_to_adf(to_text(body))
        content = list(doc.get("content") or [])
        return {"type": "doc", "version": 1, "content": [*text_to_adf(header)["content"], *content]}
    return f"{header}\n{to_text(body)}"


# -- what a mirrored body may carry to the other side ----------------------------------------
_MEDIA_BLOCKS = frozenset({"mediaSingle", "mediaGroup"})
_WIKI_MENTION = re.compile(r"\[~(?:accountid:)?([^\]\s]+)\]")
_WIKI_MEDIA = re.compile(r"!([^!\s|][^!\n|]*?\.[A-Za-z0-9]{2,5})(?:\|[^!\n]*)?!|\[\^([^\]\n]+)\]")


def sanitize(body: Body | None, display_name: Callable[[str], str]) -> Body:
    """A body safe to show on the other project: @mentions become plain display names (no
    notification, no link to a person the other side may not know), attachments and
    images become a short placeholder (they belong to the original issue and are not
    readable from the copy). Links, issue keys and formatting stay."""
    if body is None:
        return ""
    if isinstance(body, str):
        text = _WIKI_MENTION.sub(lambda m: display_name(m.group(1)), body)
        return _WIKI_MEDIA.sub(lambda m: f"[attachment: {m.group(1) or m.group(2)}]", text)
    sanitized: dict[str, Any] = _sanitize_node(body, display_name)
    return sanitized


def _sanitize_node(node: Any, display_name: Callable[[str], str]) -> Any:
    if isinstance(node, list):
        return [_sanitize_node(child, display_name) for child in node]
    if not isinstance(node, dict):
        return node
    kind = node.get("type")
    attrs = node.get("attrs") or {}
    if kind == "mention":
        name = str(attrs.get("text") or "").lstrip("@") or display_name(str(attrs.get("id") or ""))
        return {"type": "text", "text": name}
    if kind in _MEDIA_BLOCKS:
        return {"type": "paragraph", "content": [{"type": "text", "text": _media_placeholder(node)}]}
    if kind in ("media", "mediaInline"):
        return {"type": "text", "text": _media_placeholder(node)}
    out = dict(node)
    if "content" in node:
        out["content"] = _sanitize_node(node["content"], display_name)
    return out


def _media_placeholder(node: dict[str, Any]) -> str:
    names: list[str] = []

    def walk(n: Any) -> None:
        if isinstance(n, dict):
            attrs = n.get("attrs") or {}
            if n.get("type") in ("media", "mediaInline"):
                names.append(str(attrs.get("alt") or attrs.get("filename") or "file"))
            for child in n.get("content") or []:
                walk(child)

    walk(node)
    return f"[attachment: {', '.join(names) or 'file'}]"
