"""Body conversion between sites (ADF <-> wiki markup): time for a body at Jira's size limit
(32,767 characters), for ordinary prose and for text built to defeat a naive parser (thousands
of unclosed ``[``, ``*``, ``_``, ``{{``), and the growth from a 3,000- to a 30,000-character
body in the same run (10 = linear; a quadratic parser shows 100)."""

from __future__ import annotations

import time

from common import figure, save

from jirasync_cli.jira.markup import adf_to_wiki, wiki_to_adf

PROSE = "The *quick* brown _fox_ jumps over [the lazy|https://x.example] dog, see {{cfg.yaml}}.\n"
HOSTILE = {"unclosed [": "[x ", "unclosed *": "*x ", "unclosed _": "_a ", "unclosed {{": "{{a ", "stray !": "!a "}


def best_ms(fn, *args, runs: int = 3) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        fn(*args)
        best = min(best, time.perf_counter() - started)
    return best * 1000


def sized(unit: str, chars: int) -> str:
    return (unit * (chars // len(unit) + 1))[:chars]


def names(ident: str) -> str:
    return ident


def main() -> None:
    results = []
    for label, unit in {"prose": PROSE, **HOSTILE}.items():
        big, small = sized(unit, 30_000), sized(unit, 3_000)
        wiki_big = best_ms(wiki_to_adf, big, names)
        growth = wiki_big / max(best_ms(wiki_to_adf, small, names), 1e-6)
        results.append(figure(f"wiki -> ADF, 30,000 chars of {label}", wiki_big, "ms"))
        results.append(figure(f"  growth 3,000 -> 30,000 chars ({label})", growth, "x", "~10 (linear)"))
        doc = wiki_to_adf(big, names)
        results.append(figure(f"ADF -> wiki, the same body ({label})", best_ms(adf_to_wiki, doc, names), "ms"))
    save(results)


if __name__ == "__main__":
    main()
