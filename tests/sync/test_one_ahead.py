"""Search pages fetched one ahead: same pages in order, errors surface, stopping stops it."""

from __future__ import annotations

import time

import pytest

from jirasync_cli.sync.pages import one_ahead


def test_pages_come_in_order_and_at_most_one_ahead():
    fetched: list[int] = []

    def pages():
        for n in range(5):
            fetched.append(n)
            yield [n]

    seen = []
    for page in one_ahead(pages()):
        time.sleep(0.05)  # the caller works on the page: the next one is fetched meanwhile
        seen.append(page[0])
        assert len(fetched) - len(seen) <= 2  # the one handed out, the one waiting; never more
    assert seen == [0, 1, 2, 3, 4]


def test_a_search_error_is_raised_in_the_caller():
    def pages():
        yield [1]
        raise RuntimeError("search failed")

    got = []
    with pytest.raises(RuntimeError, match="search failed"):
        for page in one_ahead(pages()):
            got.append(page)
    assert got == [[1]]


def test_a_caller_that_stops_early_stops_the_fetching():
    fetched = []

    def pages():
        for n in range(1000):
            fetched.append(n)
            yield [n]

    for page in one_ahead(pages()):
        if page == [1]:
            break
    time.sleep(0.6)
    assert len(fetched) <= 4
