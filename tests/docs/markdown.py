"""Just enough Markdown parsing for the docs tests: fenced blocks, headings, sections, links."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from tests.docs.tools_path import docs_gen

github_slug = docs_gen.github_slug

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"

_FENCE = re.compile(r"^```([\w+-]*)[^\n]*\n(.*?)^```[ \t]*$", re.M | re.S)
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$", re.M)
_LINK = re.compile(r"(?<!!)\[([^\]]+)\]\(([^)\s]+)\)")


@dataclass(frozen=True)
class Block:
    lang: str
    text: str
    line: int  # 1-based line of the opening fence

    def where(self, path: Path) -> str:
        return f"{path.relative_to(REPO)}:{self.line}"


def read(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def doc_files() -> list[Path]:
    return sorted(DOCS.glob("*.md"))


def blocks(text: str, lang: str | None = None) -> list[Block]:
    out = []
    for match in _FENCE.finditer(text):
        if lang is None or match.group(1) == lang:
            out.append(Block(match.group(1), match.group(2), text.count("\n", 0, match.start()) + 1))
    return out


def without_code(text: str) -> str:
    """``text`` with fenced blocks blanked out (same length and line breaks, so offsets
    still match), so '#' comments in code are not taken for headings."""
    return _FENCE.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


def headings(text: str) -> list[tuple[int, str]]:
    return [(len(m.group(1)), m.group(2)) for m in _HEADING.finditer(without_code(text))]


def anchors(text: str) -> set[str]:
    """GitHub's heading anchors (duplicates get -1, -2 ...)."""
    seen: dict[str, int] = {}
    out = set()
    for _, title in headings(text):
        slug = github_slug(title)
        n = seen.get(slug, 0)
        out.add(slug if n == 0 else f"{slug}-{n}")
        seen[slug] = n + 1
    return out


def sections(text: str, pattern: str) -> dict[str, str]:
    """Heading text matching ``pattern`` (its group 1 is the key) → text up to the next
    heading of the same or a higher level."""
    plain = without_code(text)
    found = [(m.start(), m.end(), len(m.group(1)), m.group(2)) for m in _HEADING.finditer(plain)]
    out = {}
    for i, (_, end, level, title) in enumerate(found):
        match = re.fullmatch(pattern, title)
        if not match:
            continue
        stop = next((s for s, _, lvl, _ in found[i + 1 :] if lvl <= level), len(text))
        out[match.group(1)] = text[end:stop]
    return out


def links(text: str) -> list[str]:
    return [m.group(2) for m in _LINK.finditer(without_code(text))]
