#!/usr/bin/env python3
"""Bootstrap a virtual environment from the project's own files, then run one task.

    python3 tools/dev.py test [pytest args...]   # the test suite (what CI runs)
    python3 tools/dev.py demo [demo options...]  # the self-contained demo
    python3 tools/dev.py jirasync <args...>      # any jirasync command

Needs only Python 3.11+. The venv lives in .venv; it is (re)installed when pyproject.toml
changes, so repeated runs start at once.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(os.environ.get("JIRASYNC_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")


def _ensure_venv(extras: str) -> None:
    if sys.version_info < (3, 11):
        sys.exit(f"jirasync needs Python 3.11 or newer (this is {sys.version.split()[0]})")
    stamp = VENV / ".jirasync-installed"
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
        cmd = [str(BIN / "python"), "-m", "pytest", *rest]
    elif task == "demo":
        _ensure_venv("test")
        cmd = [str(BIN / "jirasync"), "demo", *rest]
    elif task == "jirasync":
        _ensure_venv("test")
        cmd = [str(BIN / "jirasync"), *rest]
    else:
        print(__doc__, file=sys.stderr)
        return 2
    os.chdir(ROOT)
    return subprocess.call(cmd)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
