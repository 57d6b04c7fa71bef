"""state reset: what it says it did, and how a no aborts."""

from __future__ import annotations

import re

from tests.conftest import SECRET_TOKEN, pair_config


def test_state_reset_says_what_it_did_in_user_terms_and_a_no_aborts_once(cli, write_config, mongo_url):
    directory = write_config("sync-ab.json", pair_config())
    env = {"JIRASYNC_MONGODB_URL": mongo_url, "JIRA_API_TOKEN": SECRET_TOKEN}
    no = cli.run("state", "reset", "sync-ab", "-c", str(directory), input="n\n", env=env)
    assert no.exit_code == 1 and (no.stdout + no.stderr).lower().count("abort") == 1
    eof = cli.run("state", "reset", "sync-ab", "-c", str(directory), input="", env=env)
    assert eof.exit_code == 1 and (eof.stdout + eof.stderr).lower().count("abort") == 1
    done = cli.run("state", "reset", "sync-ab", "-c", str(directory), "--yes", "--forget-mappings", env=env)
    assert done.exit_code == 0
    assert done.stdout.strip() == (
        "reset sync-ab: the next cycle is an initial full sync; forgot 0 issue pairings, "
        "0 issue snapshots, 0 journal entries"
    )
    assert not re.search(r"sync_state|issue_map", done.stdout)
