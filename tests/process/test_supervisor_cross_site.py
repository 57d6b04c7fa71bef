"""A cross-site pair's worker borrows from the rate budget of each of its two sites."""

from __future__ import annotations

import json
import subprocess
import sys

from jirasync_cli.runtime.rate_budget import SiteBudget
from jirasync_cli.runtime.supervisor import Child, Supervisor, pair_sites
from jirasync_cli.settings import Settings

USER_SITE, DEV_SITE = "https://acme.atlassian.net", "https://jira.ours.example"


def _recorder(path) -> subprocess.Popen[bytes]:
    """A child that writes every line the supervisor sends it to ``path``."""
    code = f"import sys\nfor line in sys.stdin:\n    open({str(path)!r}, 'a').write(line)\n"
    return subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, start_new_session=True)


def test_pair_sites_names_both_sites_of_a_cross_site_pair_and_one_otherwise():
    cross = {
        "site": USER_SITE,
        "config": {
            "jira": {"base_url": USER_SITE},
            "user_jira": {"base_url": USER_SITE},
            "dev_jira": {"base_url": DEV_SITE, "max_requests_per_second": 3},
        },
    }
    assert [s for s, _ in pair_sites(cross)] == [USER_SITE, DEV_SITE]
    assert pair_sites(cross)[1][1]["max_requests_per_second"] == 3
    single = {"site": USER_SITE, "config": {"jira": {"base_url": USER_SITE}, "user_jira": None, "dev_jira": None}}
    assert [s for s, _ in pair_sites(single)] == [USER_SITE]


def test_a_cross_site_worker_is_lent_tokens_by_the_site_it_names(tmp_path):
    sup = Supervisor(
        Settings(
            config_dir=tmp_path,
            mongodb_url="mongodb://unused",
            health_host="127.0.0.1",
            health_port=0,
            sync_interval_minutes=1.0,
            log_format="json",
        )
    )
    sup.sites = {USER_SITE: SiteBudget(10.0, 100.0), DEV_SITE: SiteBudget(10.0, 100.0)}
    out = tmp_path / "sent.jsonl"
    proc = _recorder(out)
    child = Child("cross", {}, "d", 30.0, proc=proc, site=USER_SITE, sites=(USER_SITE, DEV_SITE))
    single = Child("single", {}, "d", 30.0, site=USER_SITE, sites=(USER_SITE,))
    sup.children[child.name] = child
    sup.children[single.name] = single
    try:
        sup.on_rate_message(child, {"type": "tokens", "want": 2, "clean": 0, "site": DEV_SITE})
        sup.on_rate_message(child, {"type": "tokens", "want": 1, "clean": 0, "site": USER_SITE})
        proc.stdin.close()
        proc.wait(10)
        sent = [json.loads(line) for line in out.read_text().splitlines()]
        assert {m["site"] for m in sent if m["type"] == "grant"} == {DEV_SITE, USER_SITE}
        # A site the worker does not work on is never asked: its own site answers instead.
        sup.on_rate_message(child, {"type": "rate", "signal": "limited", "retry_after": 5, "site": "https://other"})
        assert sup.sites[USER_SITE].adaptive.rate < 10.0 and sup.sites[DEV_SITE].adaptive.rate == 10.0
    finally:
        if proc.returncode is None:
            proc.kill()
            proc.wait()
