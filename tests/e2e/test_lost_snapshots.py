"""Snapshots lost while mappings survive (a partial restore, a drop mid-cycle): no comment,
transition or issue is ever written twice, and the unique indexes come back by themselves."""

from __future__ import annotations

from collections import Counter

from tests.fixtures.pair import Pair
from tests.helpers import plain


def _all_comments(emu) -> Counter:
    return Counter((key, plain(c["body"])) for i in emu.issues() for key in [i["key"]] for c in emu.comments(key))


def _busy_pairs(pair: Pair, n: int = 4) -> list[tuple[str, str]]:
    emu = pair.emu
    users = []
    for i in range(n):
        users.append(emu.create_issue("USER", summary=f"Problem {i}", as_account="bob"))
    pair.cycle()  # seen while Open: the escalation below is their second event
    for key in users:
        emu.transition(key, "Will Do", as_account="alice")
    pair.cycle()
    devs = {i["properties"]["jirasync.source"]["userKey"]: i["key"] for i in emu.issues("DEV")}
    for user in users:
        emu.add_comment(user, f"customer detail for {user}", as_account="bob")
        emu.add_comment(devs[user], f"dev note for {user}", as_account="dan")
    pair.cycle()
    return [(u, devs[u]) for u in users]


def test_lost_snapshots_and_journal_never_write_a_comment_twice(pair: Pair):
    emu = pair.emu
    pairs = _busy_pairs(pair)
    pair.cycle()
    before = _all_comments(emu)
    assert all(n == 1 for n in before.values())
    store = pair.store()
    store.db.snapshots.delete_many({})
    store.db.journal.delete_many({})  # completed intents expire after a week anyway
    for user, dev in pairs:  # everything is touched, so every issue is seen again
        emu.edit(user, {"labels": ["touched"]}, as_account="alice")
        emu.edit(dev, {"labels": ["touched"]}, as_account="dan")
    pair.cycle()
    pair.cycle()
    after = _all_comments(emu)
    doubled = {k: n for k, n in after.items() if n > 1}
    print(
        f"\nstate loss: {len(pairs)} issue pairs, {sum(before.values())} comments before, "
        f"{len(doubled)} written twice after snapshots and journal were dropped"
    )
    assert doubled == {}, f"written twice after state loss: {doubled}"
    assert len(emu.issues("DEV")) == len(pairs)

    # Later changes still flow: state is rebuilt as a baseline.
    user, dev = pairs[0]
    emu.add_comment(dev, "after the loss", as_account="dan")
    emu.transition(dev, "In Progress", as_account="dan")
    emu.transition(dev, "In Review", as_account="dan")
    emu.transition(dev, "Done", as_account="dan")
    pair.cycle()
    assert emu.issue(user)["status"] == "Resolved"
    assert sum(1 for c in emu.comments(user) if "after the loss" in plain(c["body"])) == 1


def test_indexes_dropped_under_a_running_pair_come_back(pair: Pair):
    from jirasync_cli.jira.client import connect
    from jirasync_cli.runtime.wiring import open_store
    from jirasync_cli.sync.cycle import run_cycle
    from jirasync_cli.sync.runtime import PairRuntime

    emu = pair.emu
    key = emu.create_issue("USER", summary="x", as_account="bob")
    store = open_store(pair.config, pair.settings)
    rt = PairRuntime(pair.config, connect(pair.config.jira), store)  # one runtime: a running worker
    run_cycle(rt)
    store.client.drop_database(store.database)
    emu.transition(key, "Will Do", as_account="alice")
    run_cycle(rt)
    names = {ix["name"] for ix in store.db.issue_map.list_indexes()}
    assert "dev_key_unique" in names
