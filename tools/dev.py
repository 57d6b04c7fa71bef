#!/usr/bin/env python3
"""Bootstrap a virtual environment from the project's own files, then run one task.

    python3 tools/dev.py test [pytest args...]   # the test suite (what CI runs)
    python3 tools/dev.py test --fast             # the fast tier: pure and unit tests, under a minute
    python3 tools/dev.py lint                    # ruff check, ruff format --check, mypy
    python3 tools/dev.py demo [demo options...]  # the self-contained demo
    python3 tools/dev.py jirasync <args...>      # any jirasync command
    python3 tools/dev.py docs [--check]          # regenerate the config schema and its docs

Needs only Python 3.11+. The venv lives in .venv; it is (re)installed when pyproject.toml
changes, so repeated runs start at once.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(os.environ.get("JIRASYNC_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")


def _ensure_venv(extras: str) -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - this script runs under any python3 on the PATH
        sys.exit(f"jirasync needs Python 3.11 or newer (this is {sys.version.split()[0]})")
    stamp = VENV / f".jirasync-installed-{extras}"  # one per set of extras: test and lint alternate
    want = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
    if stamp.exists() and stamp.read_text() == want:
        return
    if not (BIN / "python").exists():
        print(f"creating virtual environment in {VENV}", file=sys.stderr)
        venv.EnvBuilder(with_pip=True).create(VENV)
    pip = [str(BIN / "python"), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "-e", f"{ROOT}[{extras}]"], check=True)
    stamp.write_text(want)


def main(argv: list[str]) -> int:
    task, *rest = argv or ["test"]
    if task == "test":
        _ensure_venv("test")
        if "--fast" in rest:  # the unit tier: no server, no process tree (see tests/conftest.py)
            rest = [a for a in rest if a != "--fast"] + ["-m", "unit"]
        cmd = [str(BIN / "python"), "-m", "pytest", *rest]
    elif task == "lint":
        _ensure_venv("test,lint")
        os.chdir(ROOT)
        return run_lint()
    elif task == "demo":
        _ensure_venv("test")
        cmd = [str(BIN / "jirasync"), "demo", *rest]
    elif task == "docs":
        _ensure_venv("test")
        return regenerate_docs(check="--check" in rest)
    elif task == "jirasync":
        _ensure_venv("test")
        cmd = [str(BIN / "jirasync"), *rest]
    else:
        print(__doc__, file=sys.stderr)
        return 2
    os.chdir(ROOT)
    return run_forwarding_signals(cmd)


def run_lint() -> int:
    """Every check runs, so one run shows every finding; any failure fails the task."""
    checks = [["ruff", "check", "."], ["ruff", "format", "--check", "--output-format", "concise", "."], ["mypy"]]
    failed = []
    for check in checks:
        print("$ " + " ".join(check), flush=True)
        if subprocess.run([str(BIN / check[0]), *check[1:]], check=False).returncode != 0:
            failed.append(" ".join(check))
    if failed:
        print("lint failed: " + "; ".join(failed), file=sys.stderr)
        return 1
    return 0


def regenerate_docs(*, check: bool) -> int:
    """The JSON schema comes from the config models; docs/configuration.md from the schema."""
    schema_path = ROOT / "schemas" / "sync-config.schema.json"
    schema = subprocess.run(
        [str(BIN / "jirasync"), "validate-configs", "--schema"], check=True, capture_output=True, text=True
    ).stdout
    if schema_path.read_text() != schema:
        if check:
            print(f"{schema_path} is out of date: run `python3 tools/dev.py docs`", file=sys.stderr)
            return 1
        schema_path.write_text(schema)
        print(f"wrote {schema_path}")
    docs = [str(BIN / "python"), str(ROOT / "tools" / "docs_gen.py"), *(["--check"] if check else [])]
    return subprocess.run(docs, check=False).returncode


def _tty_already_told_child() -> bool:
    """Whether a SIGINT came from the terminal, which sends it to our whole foreground
    process group (the child included): forwarding it would interrupt the child twice,
    and a second Ctrl-C cuts short the cleanup the first one started."""
    try:
        fd = os.open("/dev/tty", os.O_RDONLY | os.O_NOCTTY)
    except OSError:
        return False  # no controlling terminal: someone sent the signal to us alone
    try:
        return os.tcgetpgrp(fd) == os.getpgrp()
    except OSError:
        return False
    finally:
        os.close(fd)


def run_forwarding_signals(cmd: list[str]) -> int:
    """Run ``cmd`` and wait for it, passing SIGINT and SIGTERM on instead of dying first:
    the child stops what it started (servers, workers) and we report how it ended."""
    received: list[int] = []
    child = subprocess.Popen(cmd)

    def forward(signum: int, _frame: object) -> None:
        received.append(signum)
        if signum == signal.SIGINT and _tty_already_told_child():
            return
        try:
            child.send_signal(signum)
        except ProcessLookupError:
            pass

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        code = child.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if code < 0:  # the child died of a signal: report it the way a shell does
        return 128 - code
    if received and code == 0:
        return 128 + received[0]  # 130 after Ctrl-C
    return code


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:  # while installing: pip has stopped already
        print("interrupted", file=sys.stderr)
        sys.exit(130)
