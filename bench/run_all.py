"""Run every benchmark, one after another, printing their figures.

python bench/run_all.py            # what bench/README.md records
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = [
    "initial_sync.py",
    "cycle_requests.py",
    "cross_site.py",
    "rate_budget.py",
    "supervisor_cpu.py",
    "resources.py",
    "restart.py",
    "health_load.py",
    "memory.py",
]


def main() -> int:
    failed = 0
    for name in BENCHES:
        print(f"\n== {name}", flush=True)
        failed += subprocess.call([sys.executable, str(HERE / name), *sys.argv[1:]], cwd=HERE.parent) != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
