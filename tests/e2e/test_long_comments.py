"""A comment Jira could not take as a copy (its limit plus our attribution) is cut with a
marker, and never blocks the comments after it."""

from __future__ import annotations

from tests.e2e.test_comment_privacy import escalate
from tests.fixtures.pair import Pair
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


def test_a_comment_jira_refuses_is_skipped_audited_and_never_blocks_the_rest(pair: Pair):
    emu = pair.emu
    user, dev = escalate(pair)
    emu.add_comment(user, "REFUSED-1 Jira will not take this copy", as_account="bob")
    emu.add_comment(user, "AFTER-2 but this one", as_account="bob")
    emu.faults.fail_next("POST", rf"/issue/{dev}/comment$", status=400)
    report = pair.cycle()
    assert report.errors == [] and report.deferred == []
    bodies = [text(c["body"]) for c in emu.comments(dev)]
    assert any("AFTER-2" in b for b in bodies) and not any("REFUSED-1" in b for b in bodies)
    notes = [e["detail"]["reason"] for e in pair.store().recent_audit(50) if e["action"] == "note"]
    assert any(n.startswith("skipped: comment") and user in n for n in notes)
    emu.clear_request_log()
    pair.cycle()
    assert not [e for e in emu.request_log if e.method == "POST" and e.path.endswith("/comment")], "not retried"
