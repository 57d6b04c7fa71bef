"""Validate a config directory where secrets are absent (CI): unset ``${VAR}`` are warnings.

The files are loaded twice: as the environment is (to learn which variables are missing)
and with stand-in values for the missing ones (to check structure, schema and rules).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from jirasync_cli.config.interpolate import LenientEnv
from jirasync_cli.config.loader import LoadResult, Problem, load_config_dir


def is_missing_variable(problem: Problem) -> bool:
    return problem.reason.startswith("environment variable") and problem.reason.endswith("not set")


def load_for_validation(
    directory: Path | str, *, require_env: bool, env: Mapping[str, str] | None = None
) -> tuple[LoadResult, list[Problem]]:
    """The load result to report, and the unset-variable problems to show as warnings."""
    env = os.environ if env is None else env
    strict = load_config_dir(directory, env)
    unset = [p for p in strict.problems if is_missing_variable(p)]
    if require_env or not unset:
        return strict, []
    return load_config_dir(directory, LenientEnv(env)), unset
