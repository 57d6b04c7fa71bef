"""The two pages for people, in a real headless browser (Debian's chromium): the emulator's
`/` and the supervisor's `/` status page. Asserts on the DOM the browser built and on a
screenshot that shows something. Skipped without chromium, except under CI (CI=true), where
`.ci/run` installs it and its absence is a failure."""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import time
import zlib
from pathlib import Path

import pytest

from tests.fixtures.supervisor import PAIRS
from tests.helpers import wait_for

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--window-size=1280,900",
]


@pytest.fixture(scope="module")
def chromium() -> str:
    if CHROMIUM is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is missing under CI: .ci/run installs it (apt-get install chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium); CI installs it and runs this test")
    return CHROMIUM


def browse(chromium: str, url: str, tmp_path: Path) -> tuple[str, Path]:
    """Load ``url`` as a browser does; the DOM it built and a screenshot of it."""
    shot = tmp_path / f"shot-{time.monotonic_ns()}.png"
    done = subprocess.run(
        [chromium, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", "--dump-dom", url],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, shot


def png_pixels(path: Path) -> tuple[int, int, list[bytes]]:
    """Width, height and rows of 8-bit RGB/RGBA pixels of a PNG (what chromium writes)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        chunk = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    bpp = 3 if colour == 2 else 4
    raw, stride, rows, prev = zlib.decompress(idat), width * bpp, [], bytearray(width * bpp)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up, corner = prev[i], prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        rows.append(bytes(line))
        prev = line
    return width, height, rows


def assert_not_blank(path: Path) -> None:
    assert path.exists() and path.stat().st_size > 0, "no screenshot"
    width, height, rows = png_pixels(path)
    assert (width, height) == (1280, 900)
    bpp = len(rows[0]) // width
    background = rows[0][:3]
    colours, inked = set(), 0
    for row in rows[::4]:  # every 4th row is plenty to tell a page from a blank
        for x in range(0, width * bpp, bpp * 2):
            pixel = row[x : x + 3]
            colours.add(pixel)
            inked += pixel != background
    assert len(colours) > 20 and inked > 2000, f"screenshot looks blank: {len(colours)} colours, {inked} inked"


def test_emulator_and_supervisor_pages_in_a_browser(chromium, deploy, emu, tmp_path):
    name, user_project, dev_project = PAIRS[0]
    sup = deploy([PAIRS[0]])
    user = emu.create_issue(user_project, summary="Printer <img src=x onerror=alert(1)> on fire", as_account="alice")
    emu.transition(user, "Will Do", as_account="alice")
    emu.add_comment(user, "Looking into it", as_account="alice")
    emu.add_comment(user, "Agents only: customer is upset", as_account="alice", internal=True)
    dev = wait_for(lambda: emu.issues(dev_project), 40, message="the sync created the dev issue")[0]["key"]
    emu.add_comment(dev, "Developers only", as_account="dan", visibility={"type": "group", "value": "developers"})
    wait_for(
        lambda: sup.worker(name)["cycles"] >= 2 and sup.health()["status"] == "healthy",
        30,
        message="a healthy supervisor with finished cycles",
    )

    dom, shot = browse(chromium, emu.url + "/", tmp_path)
    assert_not_blank(shot)
    row = re.search(rf'<tr class="issue" id="{user}".*?</tr>', dom, re.S).group(0)
    assert "Printer &lt;img src=x onerror=alert(1)&gt; on fire" in row and "<img" not in dom, "escaped, not markup"
    assert f'<a href="#{dev}">{dev}</a>' in row, "the link the sync made"
    assert 'data-visibility="internal"' in row and "internal note" in row
    dev_row = re.search(rf'<tr class="issue" id="{dev}".*?</tr>', dom, re.S).group(0)
    assert "restricted to group developers" in dev_row and "Escalated to engineering" not in dev_row
    assert "Escalated to engineering as" in row, "the sync's comment shows on the user issue"

    dom, shot = browse(chromium, f"http://127.0.0.1:{sup.port}/", tmp_path)
    assert_not_blank(shot)
    assert '<span id="status"><span class="pill healthy">healthy</span></span>' in dom
    worker = re.search(rf'<tr class="worker" data-name="{name}" data-state="running">.*?</tr>', dom, re.S).group(0)
    cells = re.findall(r"<td>(.*?)</td>", worker, re.S)
    assert cells[2] == str(sup.children()[name]), "pid"
    assert cells[3].startswith('<span class="pill ok">ok</span>'), cells[3]
    assert cells[5] == "0", "restarts"
    # Probes and scripts still get JSON from the same URL.
    code, body = sup.get("/")
    assert code == 200 and body.startswith(b"{")
