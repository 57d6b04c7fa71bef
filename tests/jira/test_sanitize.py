"""Mirrored bodies carry no mentions or attachments of the other side (ADF and wiki)."""

from __future__ import annotations

from jirasync_cli.jira.adf import sanitize, to_text

NAMES = {"557058:dan": "Dan Okafor", "dan": "Dan Okafor", "JIRAUSER10003": "Dan Okafor"}


def name(ident: str) -> str:
    return NAMES.get(ident, "someone")


def nodes(doc, kind):
    out = []

    def walk(n):
        if isinstance(n, dict):
            if n.get("type") == kind:
                out.append(n)
            for c in n.get("content") or []:
                walk(c)

    walk(doc)
    return out


def test_adf_mentions_become_names_and_media_placeholders_links_stay():
    doc = {
        "type": "doc",
        "version": 1,
        "content": [
            {
                "type": "paragraph",
                "content": [
                    {"type": "mention", "attrs": {"id": "557058:dan", "text": "@Dan Okafor"}},
                    {"type": "text", "text": " and "},
                    {"type": "mention", "attrs": {"id": "557058:dan"}},
                    {"type": "text", "text": " see "},
                    {
                        "type": "text",
                        "text": "USER-3",
                        "marks": [{"type": "link", "attrs": {"href": "https://x/browse/USER-3"}}],
                    },
                    {"type": "inlineCard", "attrs": {"url": "https://x/browse/DEV-4"}},
                ],
            },
            {
                "type": "mediaSingle",
                "content": [{"type": "media", "attrs": {"id": "abc", "type": "file", "alt": "trace.png"}}],
            },
            {"type": "mediaGroup", "content": [{"type": "media", "attrs": {"id": "d", "type": "file"}}]},
        ],
    }
    out = sanitize(doc, name)
    assert not nodes(out, "mention") and not nodes(out, "media") and not nodes(out, "mediaSingle")
    text = to_text(out)
    assert "Dan Okafor and Dan Okafor see USER-3" in text
    assert "[attachment: trace.png]" in text and "[attachment: file]" in text
    assert nodes(out, "inlineCard")[0]["attrs"]["url"].endswith("DEV-4")
    link = [t for t in nodes(out, "text") if t.get("marks")][0]
    assert link["marks"][0]["attrs"]["href"].endswith("USER-3")
    assert nodes(doc, "mention"), "the original is not modified"


def test_wiki_mentions_and_attachments():
    body = (
        "Hi [~dan] and [~accountid:557058:dan] / [~JIRAUSER10003], see !shot.png|thumbnail! and [^log.txt]. "
        "Done! Thanks!"
    )
    out = sanitize(body, name)
    assert out == (
        "Hi Dan Okafor and Dan Okafor / Dan Okafor, see [attachment: shot.png] and [attachment: log.txt]. Done! Thanks!"
    )
    assert sanitize("[~ghost] wrote", name) == "someone wrote"
