"""``python -m jirasync_cli.config.export DIR MINUTES``: validated configs as JSON on stdout.

The supervisor runs this in a short-lived child at start and on SIGHUP, so validating
(which needs pydantic) never weighs on the long-running supervisor process. Each pair is
its :meth:`~jirasync_cli.config.pair.PairConfig.to_dict`, which a worker turns back into
the same ``PairConfig``. Tokens travel in clear over the pipe between the two, never
through argv, logs or the environment.
"""

from __future__ import annotations

import json
import sys
from typing import Any


def export(config_dir: str, default_minutes: float) -> dict[str, Any]:
    from jirasync_cli.config.loader import load_config_dir

    result = load_config_dir(config_dir)
    problems = [p.line() for p in result.problems]
    pairs = []
    for c in result.configs:
        try:  # one pair that cannot be exported fails alone, as one that does not validate
            pair = {
                "name": c.config.name,
                "site": c.config.jira.base_url,
                "interval_seconds": c.config.interval_seconds(default_minutes),
                "config": c.config.to_dict(),
            }
            json.dumps(pair)
        except (TypeError, ValueError) as exc:
            problems.append(f"{c.file}: $: cannot be handed to a worker ({type(exc).__name__})")
            continue
        pairs.append(pair)
    return {"missing_directory": result.missing_directory, "problems": problems, "pairs": pairs}


if __name__ == "__main__":
    sys.stdout.write(json.dumps(export(sys.argv[1], float(sys.argv[2]))))
