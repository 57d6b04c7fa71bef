"""A comment Jira could not take as a copy (its limit plus our attribution) is cut with a
marker, and never blocks the comments after it."""

from __future__ import annotations

from tests.e2e.conftest import Pair
from tests.e2e.test_comment_privacy import escalate
from tests.helpers import plain as text


def test_a_comment_at_jiras_limit_is_copied_cut_and_later_ones_follow(pair: Pair):
    emu = pair.emu
    user, dev = escalate(pair)
    long_text = "LONG-START " + "x" * 32_740  # within Jira's 32,767 characters, too long with a header
    emu.add_comment(user, long_text, as_account="bob")
    emu.add_comment(user, "AFTER-1 one more thing", as_account="bob")
    report = pair.cycle()
    assert report.errors == []
    bodies = [text(c["body"]) for c in emu.comments(dev)]
    (cut,) = [b for b in bodies if "LONG-START" in b]
    assert len(cut) <= 32_767 and f"more characters in {user}]" in cut
    assert any("AFTER-1" in b for b in bodies)
