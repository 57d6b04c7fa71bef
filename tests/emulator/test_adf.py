"""Wiki markup <-> ADF conversion (v2 and v3 views of one stored body), and HTTP details."""

from __future__ import annotations

import threading

import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from jirasync_cli.emulator.adf import (
    adf_to_text,
    adf_to_wiki,
    is_valid_adf,
    wiki_to_adf,
)

from .helpers import BOT, Raw


def test_markup_round_trips():
    for text in [
        "plain",
        "two\nlines",
        "para one\n\npara two",
        "*bold* and _it_ and {{code}}",
        "see [the docs|https://example.com/docs] or [https://example.com]",
        "h2. Title\n\nbody",
        "* one\n* two\n** nested",
        "# first\n# second",
        "{code:python}\nprint('x')\n\nmore\n{code}",
        "{noformat}\nraw *text*\n{noformat}",
        "bq. quoted",
        "before\n\n----\n\nafter",
        "2*3*4 and snake_case_name stay text",
    ]:
        doc = wiki_to_adf(text)
        assert is_valid_adf(doc), text
        assert adf_to_wiki(doc) == text
        assert wiki_to_adf(adf_to_wiki(doc)) == doc


def test_structure_of_converted_documents():
    doc = wiki_to_adf("Hello *world*\nnext line\n\n* a\n* b")
    assert doc["content"][0]["content"] == [
        {"type": "text", "text": "Hello "},
        {"type": "text", "text": "world", "marks": [{"type": "strong"}]},
        {"type": "hardBreak"},
        {"type": "text", "text": "next line"},
    ]
    assert doc["content"][1]["type"] == "bulletList" and len(doc["content"][1]["content"]) == 2
    assert adf_to_text(doc).startswith("Hello world\nnext line")


def test_invalid_documents_are_rejected():
    assert not is_valid_adf("text")
    assert not is_valid_adf({"type": "doc", "version": 1})
    assert not is_valid_adf(
        {"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [{"type": "text", "text": ""}]}]}
    )
    assert not is_valid_adf({"type": "doc", "version": 1, "content": [{"type": "blink"}]})
    assert is_valid_adf({"type": "doc", "version": 1, "content": []})


_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789,;:?()'\"", min_size=1, max_size=8)
_LINE = st.lists(_WORD, min_size=1, max_size=6).map(" ".join)
_PARA = st.lists(_LINE, min_size=1, max_size=3).map("\n".join)
_TEXT = st.lists(_PARA, min_size=1, max_size=4).map("\n\n".join)


@settings(max_examples=200, deadline=None)
@given(_TEXT)
def test_plain_text_survives_both_directions(text):
    doc = wiki_to_adf(text)
    assert is_valid_adf(doc)
    assert adf_to_wiki(doc) == text
    assert adf_to_text(doc).replace("\n", " ").split() == text.replace("\n", " ").split()


def test_non_json_bodies_are_refused(cloud):
    r = requests.post(
        f"{cloud.url}/rest/api/3/issue",
        data="summary=x",
        auth=BOT,
        timeout=5,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 415
    bad = requests.post(
        f"{cloud.url}/rest/api/3/issue",
        data="{not json",
        auth=BOT,
        timeout=5,
        headers={"Content-Type": "application/json"},
    )
    assert bad.status_code == 400 and bad.json()["errorMessages"]


def test_concurrent_writers_get_unique_keys(cloud):
    keys: list[str] = []
    lock = threading.Lock()

    def worker():
        raw = Raw(cloud)
        for n in range(20):
            r = raw.post(
                "issue", {"fields": {"project": {"key": "DEV"}, "summary": f"w{n}", "issuetype": {"name": "Task"}}}
            )
            with lock:
                keys.append(r.json()["key"])

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(keys) == len(set(keys)) == 80
    assert sorted(int(k.split("-")[1]) for k in keys) == list(range(1, 81))


def test_stop_closes_keep_alive_connections(cloud):
    s = requests.Session()
    s.auth = BOT
    assert s.get(f"{cloud.url}/rest/api/3/myself", timeout=5).status_code == 200
    cloud.stop()
    try:
        s.get(f"{cloud.url}/rest/api/3/myself", timeout=5)
        raise AssertionError("a stopped emulator answered")
    except requests.ConnectionError:
        pass
