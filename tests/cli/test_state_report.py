"""What `state show` and `state reset` read and change in a pair's database, after a real cycle."""

from __future__ import annotations

import json
import re

from jirasync_cli.cli.state_report import issue_state, lease_holder, pair_state, reset_state
from tests.fixtures.pair import escalate_issues, make_pair

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")


def test_state_of_a_synced_pair_and_of_one_issue_from_either_side(make_emu, mongo_url, tmp_path):
    pair = make_pair(make_emu("cloud"), mongo_url, tmp_path)
    [user_key] = escalate_issues(pair.emu, 1)
    report = pair.cycle()
    [(_, dev_key)] = report.created

    state = pair_state(pair.config, pair.settings)
    json.dumps(state)  # JSON-ready as it is
    assert (state["name"], state["database"], state["initialSyncCompleted"]) == ("sync-ab", pair.config.db_name, True)
    assert ISO.match(state["lastSync"]) and state["mappings"]["linked"] == 1
    assert state["lastCycle"]["result"] == "ok"
    assert state["recentActions"] and all(ISO.match(a["ts"]) for a in state["recentActions"])
    assert not any("_" in key for a in state["recentActions"] for key in a), "camelCase keys"

    by_user = issue_state(pair.config, pair.settings, user_key.lower())  # keys are case-insensitive
    by_dev = issue_state(pair.config, pair.settings, dev_key)
    assert by_user["key"] == user_key and by_dev["key"] == dev_key
    for doc in (by_user, by_dev):
        assert (doc["mapping"]["userKey"], doc["mapping"]["devKey"]) == (user_key, dev_key)
        assert set(doc["snapshots"]) == {user_key, dev_key}
        assert doc["history"]
    assert by_user["snapshots"][user_key]["status"] == "Will Do"

    unknown = issue_state(pair.config, pair.settings, "USER-999")
    assert (unknown["mapping"], unknown["snapshots"], unknown["history"]) == (None, {}, [])
    assert lease_holder(pair.config, pair.settings) is None, "nobody runs the pair now"


def test_reset_forgets_the_watermark_and_optionally_the_pairings(make_emu, mongo_url, tmp_path):
    pair = make_pair(make_emu("cloud"), mongo_url, tmp_path)
    escalate_issues(pair.emu, 2)
    pair.cycle()
    kept = reset_state(pair.config, pair.settings, forget_mappings=False)
    state = pair_state(pair.config, pair.settings)
    assert (state["lastSync"], state["initialSyncCompleted"], state["mappings"]["linked"]) == (None, False, 2)
    assert kept == {"sync_state": 1}
    forgot = reset_state(pair.config, pair.settings, forget_mappings=True)
    assert forgot["sync_state"] == 0 and forgot["issue_map"] == 2 and forgot["snapshots"] >= 4
    assert pair_state(pair.config, pair.settings)["mappings"]["linked"] == 0
