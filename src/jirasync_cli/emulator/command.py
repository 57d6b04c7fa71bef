"""``jirasync emulator``: run the Jira emulator in the foreground until SIGINT/SIGTERM."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from typing import TextIO

from .accounts import BOT
from .emulator import JiraEmulator
from .faults import RateLimit
from .seed import seed_pairs


def serve(
    mode: str = "cloud",
    host: str = "127.0.0.1",
    port: int = 8080,
    timezone: str = "Europe/Berlin",
    persist_path: str | Path | None = None,
    seed_demo: bool = False,
    latency_ms: float | None = None,
    error_rate: float = 0.0,
    rate_limit_per_second: float | None = None,
    *,
    rate_limit_burst: int | None = None,
    lost_response_rate: float = 0.0,
    search_comment_limit: int | None = None,
    demo_pairs: int = 2,
    demo_issues_per_pair: int = 30,
    seed: int = 0,
    screens: str = "default",
    out: TextIO | None = None,
    ready: threading.Event | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Start the emulator, print its URL and the bot's credentials, block until SIGINT/SIGTERM
    (or ``stop`` is set), then stop cleanly (saving state when ``persist_path`` is given).
    Returns the process exit code (0)."""
    out = out or sys.stdout
    emu = JiraEmulator(
        mode=mode,
        host=host,
        port=port,
        timezone=timezone,
        persist_path=persist_path,
        search_comment_limit=search_comment_limit,
        seed=seed,
        screens=screens,
    )
    emu.faults.latency_ms = latency_ms or None
    emu.faults.error_rate = error_rate
    emu.faults.lost_response_rate = lost_response_rate
    if rate_limit_per_second:
        emu.faults.rate_limit = RateLimit(rate_limit_per_second, rate_limit_burst)
    stop = stop or threading.Event()
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, lambda *_: stop.set())
    emu.start()
    try:
        if seed_demo and not emu.state.projects:
            pairs = seed_pairs(emu, pairs=demo_pairs, issues_per_pair=demo_issues_per_pair)
            print("seeded " + ", ".join(f"{p['user_key']}/{p['dev_key']}" for p in pairs), file=out)
        bot = emu.accounts.get(BOT)
        print(f"Jira emulator ({mode}) listening on {emu.url}", file=out)
        if bot is not None:
            print(f"  bot login: {bot.email}  token: {bot.token}  accountId: {bot.account_id}", file=out)
        print(f"  control API: {emu.url}/_emulator/state", file=out)
        print(f"  create/edit screens: {screens} (change: PUT {emu.url}/_emulator/screens)", file=out)
        if persist_path:
            print(f"  state file: {persist_path}", file=out)
        print("Press Ctrl+C to stop.", file=out, flush=True)
        if ready is not None:
            ready.set()
        while not stop.wait(0.5):
            pass
    finally:
        emu.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        print("Jira emulator stopped.", file=out, flush=True)
    return 0


if __name__ == "__main__":  # python -m jirasync_cli.emulator.command [cloud|server] [port]
    args = sys.argv[1:]
    raise SystemExit(
        serve(mode=args[0] if args else "cloud", port=int(args[1]) if len(args) > 1 else 8080, seed_demo=True)
    )
