"""The supervisor's per-site rate budget (pure: simulated time) and its token protocol."""

from __future__ import annotations

import pytest

from jirasync_cli.jira.pacing import SiteBudget


def _simulate(budget: SiteBudget, busy: list[str], seconds: float, idle_asks: dict[str, float] | None = None):
    """Busy workers ask again as soon as they are served; idle ones ask once, at a given time.
    Returns tokens granted per worker and, for idle ones, how long they waited."""
    now = 0.0
    budget.bucket.stamp, budget.bucket.tokens = now, 0.0
    got: dict[str, int] = {}
    waited: dict[str, float] = {}
    pending_idle = dict(idle_asks or {})
    asked_at: dict[str, float] = {}
    for who in busy:
        budget.ask(who, 8, 0, now)
    while now < seconds:
        for who, at in list(pending_idle.items()):
            if at <= now:
                budget.ask(who, 1, 0, now)
                asked_at[who] = now
                del pending_idle[who]
        for who, n in budget.grant_due(now):
            got[who] = got.get(who, 0) + n
            if who in asked_at:
                waited[who] = now - asked_at.pop(who)
            else:
                budget.ask(who, 8, 0, now)
        due = budget.next_grant(now)
        now = min(due if due is not None else seconds, *(pending_idle.values() or [seconds]), seconds) + 1e-6
    return got, waited


def test_one_busy_pair_gets_the_whole_site_budget_however_many_idle_pairs():
    budget = SiteBudget(20.0, 20.0)
    got, waited = _simulate(budget, ["busy"], 10.0, idle_asks={f"idle-{i}": 0.5 + i * 0.1 for i in range(49)})
    assert got["busy"] == pytest.approx(20 * 10 - 49, abs=8), "idle pairs took one token each, no more"
    assert max(waited.values()) < 0.25, "an idle pair asking once is served within a batch or two"


def test_busy_pairs_share_fairly():
    budget = SiteBudget(30.0, 30.0)
    got, _ = _simulate(budget, ["a", "b", "c"], 10.0)
    assert sum(got.values()) == pytest.approx(300, abs=10)
    assert max(got.values()) - min(got.values()) <= 8, got


def test_a_429_pauses_the_site_and_cuts_the_rate_a_warning_cuts_it():
    budget = SiteBudget(40.0, 100.0)
    budget.bucket.stamp = 0.0  # simulated time
    budget.signal("near", None, 0.0)
    assert budget.adaptive.rate < 40.0
    warned = budget.adaptive.rate
    budget.signal("limited", 2.0, 10.0)
    assert budget.adaptive.rate <= warned / 2 + 1e-9
    budget.ask("a", 4, 0, 10.0)
    assert budget.grant_due(11.9) == [], "paused for Retry-After"
    assert budget.next_grant(11.9) == pytest.approx(12.0)
    ((who, n),) = budget.grant_due(12.2)
    assert who == "a" and n <= 0.2 * budget.adaptive.rate + 1, "resumes at the rate, no burst saved up"


def test_clean_answers_raise_the_rate_only_when_pairs_wait_for_tokens():
    budget = SiteBudget(10.0, 50.0)
    budget.bucket.stamp = 0.0  # simulated time
    budget.ask("a", 1, 100, 0.0)  # clean answers, but nobody ever waited: no rise
    assert budget.adaptive.rate == 10.0
    _simulate(budget, ["a"], 3.0)
    budget.ask("a", 8, 20, 3.0)
    assert budget.adaptive.rate > 10.0
    for t in range(100):
        budget.ask("a", 8, 50, 3.0 + t)
    assert budget.adaptive.rate == 50.0, "never above the ceiling"


@pytest.mark.slow
def test_pairs_added_to_a_site_restart_none_of_the_others_and_all_sync(deploy, emu):
    """The budget is lent at run time: no share of it is in a worker's config any more."""
    import signal

    from tests.fixtures.supervisor import FAST, PAIRS
    from tests.helpers import sync_config, wait_for, write_config

    sup = deploy(PAIRS[:2])
    before = sup.wait_running(["sync-ab", "sync-cd"])
    for name, user, dev in PAIRS[2:]:
        write_config(sup.config_dir, sync_config(name, emu.url, user, dev, syncIntervalMinutes=FAST))
    sup.signal(signal.SIGHUP)
    after = sup.wait_running([p[0] for p in PAIRS])
    assert {k: after[k] for k in before} == before, "pairs already on the site kept running"
    keys = [emu.create_issue(user, summary=f"escalated {user}", status="Will Do") for _, user, _ in PAIRS]
    wait_for(lambda: all(emu.issue(k)["links"] for k in keys), 30, message="every pair syncs through the shared budget")
    metrics = sup.get("/metrics")[1].decode()
    assert 'jirasync_jira_requests_total{kind="create",worker="sync-ab"} 1.0' in metrics
