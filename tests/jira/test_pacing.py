"""Pacing in the client: one pacer per site, a local bucket, and tokens borrowed from a supervisor."""

from __future__ import annotations

import threading
import time

import pytest

from jirasync_cli.jira import pacing
from jirasync_cli.jira.pacing import BorrowingPacer, Cancelled, SitePacer


@pytest.fixture(autouse=True)
def _fresh_registry():
    pacing.lend_from(None)
    yield
    pacing.lend_from(None)


def test_one_pacer_per_site_shared_by_every_client_of_the_process():
    a = pacing.pacer_for("https://a.example", 10.0)
    assert pacing.pacer_for("https://a.example", 99.0) is a, "the first rate wins: one budget per site"
    assert pacing.pacer_for("https://b.example", 10.0) is not a
    assert isinstance(a, SitePacer) and a.rate == 10.0


def test_a_supervised_worker_builds_its_pacers_with_the_lending_factory():
    made = []

    def factory(site, rate, ceiling, cancel):
        made.append((site, rate, ceiling))
        return BorrowingPacer(lambda message: None, cancel=cancel)

    pacing.pacer_for("https://a.example", 10.0)
    pacing.lend_from(factory)  # forgets the pacers built before
    pacer = pacing.pacer_for("https://a.example", 7.0, ceiling=20.0)
    assert isinstance(pacer, BorrowingPacer) and made == [("https://a.example", 7.0, 20.0)]


def test_a_local_pacer_lets_a_burst_through_then_paces_at_its_rate():
    pacer = SitePacer(20.0)
    started = time.monotonic()
    for _ in range(14):  # a burst of 4 (rate / 5), then 10 more at 20/s: about 0.5 s
        pacer.acquire()
    took = time.monotonic() - started
    assert 0.35 < took < 2.0, took


def test_a_429_pauses_the_site_and_halves_the_rate():
    pacer = SitePacer(20.0)
    pacer.penalize(0.3)
    assert pacer.rate == 10.0 and pacer.rate_limited == 1
    started = time.monotonic()
    pacer.acquire()
    assert time.monotonic() - started >= 0.25, "nothing goes out during Retry-After"


def test_shutdown_interrupts_a_wait_for_the_budget():
    cancel = threading.Event()
    pacer = SitePacer(1.0, cancel=cancel)
    pacer.penalize(60.0)
    threading.Timer(0.1, cancel.set).start()
    started = time.monotonic()
    with pytest.raises(Cancelled):
        pacer.acquire()
    assert time.monotonic() - started < 5


def test_a_borrowing_pacer_asks_for_a_batch_and_spends_it_before_asking_again():
    sent: list[dict] = []
    pacer = BorrowingPacer(sent.append, batch=8)
    waiter = threading.Thread(target=pacer.acquire)
    waiter.start()
    deadline = time.monotonic() + 5
    while not sent and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sent == [{"type": "tokens", "want": 1, "clean": 0}]
    pacer.granted(3)
    waiter.join(5)
    assert not waiter.is_alive()
    pacer.reward()
    pacer.reward()
    pacer.acquire()
    pacer.acquire()
    assert len(sent) == 1, "two tokens left: no new ask"
    threading.Thread(target=pacer.acquire, daemon=True).start()
    while len(sent) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sent[1] == {"type": "tokens", "want": 1, "clean": 2}, "clean answers ride on the next ask"
    pacer.granted(1)


def test_borrowed_tokens_expire_so_an_idle_worker_hoards_nothing():
    sent: list[dict] = []
    pacer = BorrowingPacer(sent.append)
    pacer.granted(5)
    pacer.acquire()
    time.sleep(pacing.GRANT_TTL_SECONDS + 0.1)
    cancel_soon = threading.Timer(0.2, lambda: (pacer.cancel.set(), pacer.wake()))
    cancel_soon.start()
    with pytest.raises(Cancelled):
        pacer.acquire()
    assert sent and sent[-1]["type"] == "tokens", "the four left had expired: it had to ask"


def test_rate_signals_go_to_the_supervisor_at_once():
    sent: list[dict] = []
    pacer = BorrowingPacer(sent.append)
    pacer.granted(5)
    pacer.warn()
    pacer.penalize(2.5)
    assert sent == [{"type": "rate", "signal": "near"}, {"type": "rate", "signal": "limited", "retry_after": 2.5}]
    assert pacer.rate_limited == 1
    cancel_soon = threading.Timer(0.2, lambda: (pacer.cancel.set(), pacer.wake()))
    cancel_soon.start()
    with pytest.raises(Cancelled):
        pacer.acquire()  # the 429 dropped the tokens it held and paused it
