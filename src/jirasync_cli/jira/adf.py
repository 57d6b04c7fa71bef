"""Atlassian Document Format (v3 bodies) and wiki text (v2 bodies): the few conversions we need.

A mirrored comment keeps its original body (ADF stays ADF on v3) with an attribution
paragraph in front, so formatting survives; templates are plain text turned into either form.
"""

from __future__ import annotations

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
