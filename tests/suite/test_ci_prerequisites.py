"""Under CI (CI=true) a missing prerequisite fails the run; elsewhere it skips."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import skip_or_fail

ROOT = Path(__file__).resolve().parents[2]


def test_skip_or_fail_skips_locally_and_fails_in_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        skip_or_fail("no server")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true: required"):
        skip_or_fail("no server")


@pytest.mark.parametrize(("ci", "expected"), [("", "13 skipped"), ("true", "13 errors")])
def test_a_missing_openapi_spec_fails_the_conformance_tests_under_ci(ci, expected, tmp_path):
    env = {**os.environ, "CI": ci, "JIRASYNC_OPENAPI_SPEC": str(tmp_path / "missing.json")}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/emulator/test_openapi.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert expected in result.stdout, result.stdout[-2000:]
    assert (result.returncode != 0) == bool(ci)
