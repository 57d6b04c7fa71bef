"""Bodies converted between a Cloud site (ADF) and a Data Center site (wiki markup), both ways:
what both formats can say survives round trips, what belongs to the source site (mentions,
attachments) arrives as plain text, and plain text never turns into markup on the way."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jirasync_cli.emulator.adf import is_valid_adf
from jirasync_cli.jira.markup import adf_to_wiki, convert, escape_text, normalize_adf, template_body, wiki_to_adf

NAMES = {"557058:dan": "Dan Okafor", "dan": "Dan Okafor", "JIRAUSER10003": "Erin Castillo"}


def name(ident: str) -> str:
    return NAMES.get(ident, "someone")


def doc(*blocks):
    return {"type": "doc", "version": 1, "content": list(blocks)}


def para(*inline):
    return {"type": "paragraph", "content": list(inline)}


def text(value, *marks):
    node = {"type": "text", "text": value}
    if marks:
        node["marks"] = [m if isinstance(m, dict) else {"type": m} for m in marks]
    return node


def link(href):
    return {"type": "link", "attrs": {"href": href}}


def item(*content):
    return {"type": "listItem", "content": list(content)}


def bullets(*items):
    return {"type": "bulletList", "content": list(items)}


def numbered(*items):
    return {"type": "orderedList", "content": list(items)}


def cell(kind, *inline):
    return {"type": kind, "content": [para(*inline)]}


def kinds(node):
    out = []

    def walk(n):
        if isinstance(n, dict):
            out.append(n.get("type"))
            for c in n.get("content") or []:
                walk(c)

    walk(node)
    return out


def adf_round_trip(d):
    return normalize_adf(wiki_to_adf(adf_to_wiki(d, name), name))


# ---------------------------------------------------------------- hand-written documents

RICH_WIKI = """h2. Outage on *checkout*

The {{payment}} service fails for [some users|https://status.example.com/incident/42].
Seen since 10:00, see https://example.com/raw too.

* first
** nested with _emphasis_
*** deeper
* second
*# numbered inside
*# and again

# one
# two

{code:python}
def f(x):
    return x * 2  # not bold
{code}

{noformat}
raw *text* [not a link]
{noformat}

bq. A quoted customer sentence.

{quote}
First quoted paragraph.

* a quoted list item
{quote}

||Component||Owner||Link||
|payments|team *blue*|[runbook|https://wiki.example.com/run]|
|search|team red|n/a|

----

Done -strike- +under+ x^2^ H~2~O {color:#ff5630}red{color} ab{*}cd{*}ef"""


def test_rich_wiki_round_trips_and_keeps_its_structure():
    adf = wiki_to_adf(RICH_WIKI, name)
    assert kinds(adf).count("heading") == 1
    assert kinds(adf).count("bulletList") == 4 and kinds(adf).count("orderedList") == 2
    assert kinds(adf).count("codeBlock") == 2 and kinds(adf).count("blockquote") == 2
    assert kinds(adf).count("tableHeader") == 3 and kinds(adf).count("tableCell") == 6
    assert "rule" in kinds(adf)
    wiki = adf_to_wiki(adf, name)
    assert wiki_to_adf(wiki, name) == adf
    assert adf_to_wiki(wiki_to_adf(wiki, name), name) == wiki


def test_nested_lists_keep_depth_and_kind():
    adf = wiki_to_adf("* a\n** b\n**# c\n* d\n# e", name)
    assert adf["content"] == [
        bullets(
            item(para(text("a")), bullets(item(para(text("b")), numbered(item(para(text("c"))))))),
            item(para(text("d"))),
        ),
        numbered(item(para(text("e")))),
    ]
    assert adf_to_wiki(adf, name) == "* a\n** b\n**# c\n* d\n\n# e"


def test_a_list_starting_deeper_gets_an_item_to_hold_it():
    adf = wiki_to_adf("** deep\n* top", name)
    first = adf["content"][0]["content"][0]
    assert first["content"][0] == {"type": "paragraph", "content": []}
    assert adf_round_trip(adf) == normalize_adf(adf)


def test_tables_with_headers_links_and_breaks_both_ways():
    table = {
        "type": "table",
        "content": [
            {"type": "tableRow", "content": [cell("tableHeader", text("Key")), cell("tableHeader", text("Notes"))]},
            {
                "type": "tableRow",
                "content": [
                    cell("tableCell", text("ABC-1", link("https://jira.example.com/browse/ABC-1"))),
                    cell("tableCell", text("line one"), {"type": "hardBreak"}, text("a | pipe")),
                ],
            },
        ],
    }
    wiki = adf_to_wiki(doc(table), name)
    assert wiki == "||Key||Notes||\n|[ABC-1|https://jira.example.com/browse/ABC-1]|line one\\\\a \\| pipe|"
    assert adf_round_trip(doc(table)) == normalize_adf(doc(table))


def test_code_blocks_keep_language_and_text_verbatim():
    code = {
        "type": "codeBlock",
        "attrs": {"language": "java"},
        "content": [{"type": "text", "text": "if (a || b) { x[0] = *p; }\n\nreturn;"}],
    }
    plain = {"type": "codeBlock", "content": [{"type": "text", "text": "*literal* _text_"}]}
    wiki = adf_to_wiki(doc(code, plain), name)
    assert wiki == (
        "{code:java}\nif (a || b) { x[0] = *p; }\n\nreturn;\n{code}\n\n{noformat}\n*literal* _text_\n{noformat}"
    )
    assert wiki_to_adf(wiki, name) == doc(code, plain)
    assert wiki_to_adf("{code:language=sql|title=Query}\nselect 1\n{code}", name)["content"][0]["attrs"] == {
        "language": "sql"
    }
    assert wiki_to_adf("{code}inline{code} after", name)["content"] == [
        {"type": "codeBlock", "content": [text("inline")]},
        para(text("after")),
    ]


def test_marks_inside_a_word_use_the_brace_form():
    adf = doc(para(text("un"), text("believ", "strong"), text("able")))
    assert adf_to_wiki(adf, name) == "un{*}believ{*}able"
    assert adf_round_trip(adf) == normalize_adf(adf)
    assert adf_to_wiki(doc(para(text("bold", "strong"), text(" then"))), name) == "*bold* then"


def test_whitespace_at_a_marks_edge_moves_outside_it():
    # Jira does not render "*bold *": the space goes outside the mark.
    assert adf_to_wiki(doc(para(text("a "), text("bold ", "strong"), text("b"))), name) == "a *bold* b"


def test_links_with_marks_and_bare_urls():
    adf = doc(
        para(
            text("see "),
            text("the docs", "em", link("https://d.example.com/x?a=1&b=2")),
            text(" or "),
            text("https://e.example.com", link("https://e.example.com")),
        )
    )
    wiki = adf_to_wiki(adf, name)
    assert wiki == "see [_the docs_|https://d.example.com/x?a=1&b=2] or [https://e.example.com]"
    assert adf_round_trip(adf) == normalize_adf(adf)


def test_hard_breaks_never_split_a_paragraph():
    adf = doc(para(text("one"), {"type": "hardBreak"}, {"type": "hardBreak"}, text("three")))
    wiki = adf_to_wiki(adf, name)
    assert "\n\n" not in wiki
    assert wiki_to_adf(wiki, name) == adf
    assert wiki_to_adf("a\\\\b", name)["content"] == [para(text("a"), {"type": "hardBreak"}, text("b"))]


# ---------------------------------------------------------------- mentions, media, the rest


def test_mentions_become_names_and_never_notify_either_way():
    adf = doc(
        para(
            text("ping "),
            {"type": "mention", "attrs": {"id": "557058:dan", "text": "@Dan Okafor"}},
            text(" and "),
            {"type": "mention", "attrs": {"id": "557058:dan"}},
        )
    )
    wiki = adf_to_wiki(adf, name)
    assert wiki == "ping Dan Okafor and Dan Okafor"
    back = wiki_to_adf("[~accountid:557058:dan] and [~JIRAUSER10003] and [~nobody]", name)
    assert "mention" not in kinds(back)
    assert back["content"] == [para(text("Dan Okafor and Erin Castillo and someone"))]
    assert "[~" not in json.dumps(convert("hi [~dan]", to_adf=False, display_name=name))


def test_attachments_and_images_become_placeholders():
    media = {
        "type": "mediaSingle",
        "content": [{"type": "media", "attrs": {"id": "x", "type": "file", "collection": "c", "alt": "shot.png"}}],
    }
    wiki = adf_to_wiki(doc(para(text("before")), media), name)
    assert wiki == "before\n\n\\[attachment: shot.png\\]"
    assert wiki_to_adf(wiki, name)["content"][1] == para(text("[attachment: shot.png]"))
    back = wiki_to_adf("see !error.png|thumbnail! and [^trace.log]", name)
    assert back["content"] == [para(text("see [attachment: error.png] and [attachment: trace.log]"))]
    assert "media" not in kinds(convert("!a.png!", to_adf=True, display_name=name))


def test_emoji_cards_dates_and_unknown_nodes_become_text():
    adf = doc(
        para(
            text("ok "),
            {"type": "emoji", "attrs": {"shortName": ":thumbsup:", "text": "👍"}},
            text(" "),
            {"type": "status", "attrs": {"text": "IN REVIEW", "color": "blue"}},
            text(" "),
            {"type": "date", "attrs": {"timestamp": "1764460800000"}},
        ),
        {"type": "panel", "attrs": {"panelType": "info"}, "content": [para(text("inside a panel"))]},
        {"type": "someFutureNode", "content": [para(text("still readable"))]},
        {"type": "blockCard", "attrs": {"url": "https://x.example.com/a"}},
        {"type": "rule"},
    )
    assert adf_to_wiki(adf, name) == (
        "ok 👍 IN REVIEW 2025-11-30\n\ninside a panel\n\nstill readable\n\n[https://x.example.com/a]\n\n----"
    )


def test_rule_headings_and_quotes():
    adf = doc(
        {"type": "heading", "attrs": {"level": 3}, "content": [text("Steps")]},
        {"type": "rule"},
        {"type": "blockquote", "content": [para(text("quoted"))]},
        {"type": "blockquote", "content": [para(text("two")), bullets(item(para(text("lines"))))]},
    )
    wiki = adf_to_wiki(adf, name)
    assert wiki == "h3. Steps\n\n----\n\nbq. quoted\n\n{quote}\ntwo\n\n* lines\n{quote}"
    assert wiki_to_adf(wiki, name) == adf


def test_convert_takes_either_shape():
    adf = convert("*hi* there", to_adf=True, display_name=name)
    assert adf == doc(para(text("hi", "strong"), text(" there")))
    assert convert(adf, to_adf=False, display_name=name) == "*hi* there"
    assert convert(adf, to_adf=True, display_name=name) == adf
    assert convert("[~dan] *x*", to_adf=False, display_name=name) == "Dan Okafor *x*"
    assert convert(None, to_adf=False, display_name=name) == ""
    assert convert("", to_adf=True, display_name=name) == doc()


# ---------------------------------------------------------------- escaping


def test_plain_text_special_characters_are_escaped():
    cases = {
        "2 * 3 = 6": "2 \\* 3 = 6",
        "snake_case_name stays": "snake_case_name stays",
        "use {braces} and [brackets] | pipes": "use \\{braces\\} and \\[brackets\\] \\| pipes",
        "- not a list": "\\- not a list",
        "# not numbered": "\\# not numbered",
        "h1. not a heading": "h1\\. not a heading",
        "bq. not a quote": "bq\\. not a quote",
        "----": "\\-\\-\\-\\-",
        "a -- b": "a \\-\\- b",
        "well-known 2026-11-30": "well-known 2026-11-30",
        "what?? really": "what\\?\\? really",
        "!important": "\\!important",
        "Hello!": "Hello!",
        "x^2 ~tilde": "x\\^2 \\~tilde",
        "C:\\temp\\{x} \\": "C:\\temp&#92;\\{x\\} &#92;",
        "&amp; literal": "&amp;amp; literal",
    }
    for plain, wiki in cases.items():
        assert escape_text(plain) == wiki, plain
        assert wiki_to_adf(wiki, name)["content"] == [para(text(plain))], plain


def test_text_looking_like_markup_stays_text_on_the_way_to_wiki():
    adf = doc(para(text("*not bold* and {{not code}} and [not|a link] and {code}")))
    assert adf_round_trip(adf) == normalize_adf(adf)
    assert wiki_to_adf(adf_to_wiki(adf, name), name)["content"][0]["content"][0].get("marks") is None


def test_dashes_render_as_jira_shows_them():
    assert wiki_to_adf("a -- b --- c", name)["content"] == [para(text("a \u2013 b \u2014 c"))]


# ---------------------------------------------------------------- generated documents

WORD = st.text(alphabet=st.sampled_from("abcXYZ019é*_-+^~{}[]|!?#&\\.:;()'\"/"), min_size=1, max_size=8)
URLS = st.sampled_from(["https://example.com", "https://example.com/a?b=1&c=2#frag", "mailto:ops@example.com"])
MARK_SETS = st.sampled_from(
    [
        (),
        ("strong",),
        ("em",),
        ("strike",),
        ("underline",),
        ("strong", "em"),
        ("sup",),
        ("sub",),
        ("color",),
        ("code",),
        ("link",),
        ("link", "strong"),
        ("link", "code"),
    ]
)


def _word(value: str) -> str:
    value = value.strip()
    return value or "w"


@st.composite
def runs(draw, breaks=True):
    nodes = []
    for _ in range(draw(st.integers(1, 5))):
        if nodes and draw(st.booleans()):
            nodes.append(text(" "))
        if breaks and nodes and draw(st.integers(0, 5)) == 0:
            nodes.append({"type": "hardBreak"})
        marks = draw(MARK_SETS)
        words = " ".join(_word(w) for w in draw(st.lists(WORD, min_size=1, max_size=3)))
        out = []
        for m in marks:
            if m == "link":
                out.append(link(draw(URLS)))
            elif m in ("sup", "sub"):
                out.append({"type": "subsup", "attrs": {"type": m}})
            elif m == "color":
                out.append({"type": "textColor", "attrs": {"color": "#ff5630"}})
            else:
                out.append({"type": m})
        nodes.append(text(words, *out))
    return nodes


@st.composite
def lists(draw, depth=1):
    kind = draw(st.sampled_from(["bulletList", "orderedList"]))
    items = []
    for _ in range(draw(st.integers(1, 3))):
        content = [para(*draw(runs()))]
        if depth < 3 and draw(st.integers(0, 3)) == 0:
            content.append(draw(lists(depth + 1)))
        items.append(item(*content))
    return {"type": kind, "content": items}


@st.composite
def tables(draw):
    width = draw(st.integers(1, 3))
    header = {"type": "tableRow", "content": [cell("tableHeader", *draw(runs())) for _ in range(width)]}
    body = [
        {"type": "tableRow", "content": [cell("tableCell", *draw(runs())) for _ in range(width)]}
        for _ in range(draw(st.integers(1, 3)))
    ]
    return {"type": "table", "content": [header, *body]}


CODE_TEXT = (
    st.lists(
        st.sampled_from(
            ["a", "b", " ", "*", "_", "{", "}", "[", "|", "\\", "\n", "#", "-", "{code}", "{code:java}", "{noformat}"]
        ),
        max_size=12,
    )
    .map("".join)
    .filter(lambda t: not ("{code" in t and "{noformat}" in t))
)  # both closing tags inside: no tag can hold it


@st.composite
def blocks(draw):
    kind = draw(st.sampled_from(["paragraph", "heading", "list", "code", "quote", "rule", "table"]))
    if kind == "paragraph":
        return para(*draw(runs()))
    if kind == "heading":
        return {"type": "heading", "attrs": {"level": draw(st.integers(1, 6))}, "content": draw(runs(breaks=False))}
    if kind == "list":
        return draw(lists())
    if kind == "code":
        body = draw(CODE_TEXT)
        node = {"type": "codeBlock"}
        language = draw(st.sampled_from([None, "python", "java"]))
        if language and "{code" not in body:  # such a body goes in {noformat}, which has no language
            node["attrs"] = {"language": language}
        if body:
            node["content"] = [text(body)]
        return node
    if kind == "quote":
        inner = [para(*draw(runs()))]
        if draw(st.booleans()):
            inner.append(draw(lists()))
        return {"type": "blockquote", "content": inner}
    if kind == "rule":
        return {"type": "rule"}
    return draw(tables())


DOCS = st.lists(blocks(), min_size=1, max_size=5).map(lambda bs: doc(*bs))
SLOW = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SLOW
@given(DOCS)
def test_adf_to_wiki_to_adf_gives_the_same_document(adf):
    assert adf_round_trip(adf) == normalize_adf(adf), adf_to_wiki(adf, name)


@SLOW
@given(DOCS)
def test_wiki_to_adf_to_wiki_gives_the_same_markup(adf):
    wiki = adf_to_wiki(adf, name)
    parsed = wiki_to_adf(wiki, name)
    assert is_valid_adf(parsed), "what Jira Cloud accepts as a body"
    assert adf_to_wiki(parsed, name) == wiki


PLAIN = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")) | st.sampled_from("\n "), max_size=60
)


@SLOW
@given(PLAIN)
def test_any_plain_text_survives_a_trip_through_wiki(value):
    back = wiki_to_adf(adf_to_wiki(doc(para(text(value))), name), name)
    if not value.strip():
        assert back == doc()
        return
    [paragraph] = back["content"]
    assert "".join(n.get("text", "\n") for n in paragraph["content"]) == value


def test_adf_to_adf_keeps_every_node_but_mentions_and_media():
    panel = {"type": "panel", "attrs": {"panelType": "warning"}, "content": [para(text("careful", "strong"))]}
    adf = doc(
        panel,
        para(text("hi "), {"type": "mention", "attrs": {"id": "557058:dan", "text": "@Dan Okafor"}}),
        {
            "type": "mediaGroup",
            "content": [{"type": "media", "attrs": {"id": "1", "type": "file", "collection": "c", "alt": "a.pdf"}}],
        },
    )
    out = convert(adf, to_adf=True, display_name=name)
    assert out["content"][0] == panel
    assert out["content"][1] == para(text("hi "), text("Dan Okafor"))
    assert out["content"][2] == para(text("[attachment: a.pdf]"))


def test_templates_are_wiki_markup_on_both_sites_with_plain_values():
    template = "*Fixed* in ${targetKey} for ${summary} by ${nobody}"
    values = {"targetKey": "DEV-7", "summary": "[urgent] a*b* - c"}
    wiki = template_body(template, values, to_adf=False, display_name=name)
    assert wiki == "*Fixed* in DEV-7 for \\[urgent\\] a*b\\* \\- c by $\\{nobody\\}"
    adf = template_body(template, values, to_adf=True, display_name=name)
    assert adf == doc(para(text("Fixed", "strong"), text(" in DEV-7 for [urgent] a*b* - c by ${nobody}")))
    assert wiki_to_adf(wiki, name) == adf


def test_lists_nested_absurdly_deep_stay_text():
    deep = "*" * 5000 + " too deep"
    assert wiki_to_adf(deep, name)["content"][0]["type"] == "paragraph"


def test_a_mark_that_ends_inside_a_word_braces_both_ends():
    assert adf_to_wiki(doc(para(text("bold", "strong"), text("ly"))), name) == "{*}bold{*}ly"
    assert adf_to_wiki(doc(para(text("x "), text("a", "em"), text("-b"))), name) == "x _a_\\-b"


def test_code_inside_a_list_item_or_a_cell_stays_monospace():
    code = {"type": "codeBlock", "content": [text("make test\nmake lint")]}
    lst = bullets(item(para(text("run")), code))
    assert adf_to_wiki(doc(lst), name) == "* run\\\\{{make test}}\\\\{{make lint}}"
    table = {"type": "table", "content": [{"type": "tableRow", "content": [{"type": "tableCell", "content": [code]}]}]}
    assert adf_to_wiki(doc(table), name) == "|{{make test}}\\\\{{make lint}}|"


def test_a_code_block_containing_its_closing_tag_stays_one_block():
    tricky = {"type": "codeBlock", "attrs": {"language": "text"}, "content": [text("a {code} b")]}
    wiki = adf_to_wiki(doc(tricky), name)
    assert wiki == "{noformat}\na {code} b\n{noformat}"
    assert wiki_to_adf(wiki, name)["content"] == [{"type": "codeBlock", "content": [text("a {code} b")]}]
    both = {"type": "codeBlock", "content": [text("{noformat}")]}
    assert wiki_to_adf(adf_to_wiki(doc(both), name), name)["content"] == [
        {"type": "codeBlock", "content": [text("{noformat}")]}
    ]
