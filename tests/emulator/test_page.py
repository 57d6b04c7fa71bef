"""The emulator's `/`: a read-only HTML page for people; the REST API around it is unchanged."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request


def _get(url: str, method: str = "GET") -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_root_lists_projects_issues_links_and_who_may_read_each_comment(emu):
    user = emu.create_issue("USER", summary="Printer <script>alert(1)</script> & fire", as_account="alice")
    dev = emu.create_issue("DEV", summary="Fix the printer", as_account="dan")
    emu.link(user, dev, "Blocks", as_account="dan")
    emu.transition(user, "Will Do", as_account="alice")
    emu.add_comment(user, "Public <b>answer</b>", as_account="alice")
    emu.add_comment(user, "Agents only", as_account="alice", internal=True)
    emu.add_comment(dev, "Developers only", as_account="dan", visibility={"type": "group", "value": "developers"})

    code, headers, body = _get(emu.url + "/")
    assert code == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    page = body.decode()
    assert '<section class="project" id="project-USER">' in page
    assert '<section class="project" id="project-DEV">' in page
    row = re.search(rf'<tr class="issue" id="{user}".*?</tr>', page, re.S).group(0)
    assert 'data-status="Will Do"' in row
    assert "Printer &lt;script&gt;alert(1)&lt;/script&gt; &amp; fire" in row and "<script>" not in page
    assert f'blocks <a href="#{dev}">{dev}</a>' in row
    assert 'data-visibility="public"' in row and "Public &lt;b&gt;answer&lt;/b&gt;" in row
    assert re.search(r'data-visibility="internal"><span class="badge">internal note</span>.*?Agents only', row)
    dev_row = re.search(rf'<tr class="issue" id="{dev}".*?</tr>', page, re.S).group(0)
    assert f'is blocked by <a href="#{user}">{user}</a>' in dev_row
    assert re.search(
        r'data-visibility="restricted"><span class="badge">restricted to group developers</span>'
        r".*?Developers only",
        dev_row,
    )

    assert _get(emu.url + "/", "HEAD")[0] == 200
    # The REST API is untouched: unknown paths stay Jira's 404 JSON, and the page is not logged.
    code, headers, body = _get(emu.url + "/nope")
    assert code == 404 and json.loads(body)["errorMessages"] == [f"null for uri: {emu.base_url}/nope"]
    assert all(entry.path != "/" for entry in emu.request_log)


def test_root_of_an_empty_emulator(emu):
    emu.reset()
    code, _, body = _get(emu.url + "/")
    assert code == 200 and 'id="no-projects"' in body.decode()
