"""Arbitrary bytes and JSON as config files: never a traceback, one-line problems per bad file."""

from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jirasync_cli.config.loader import load_config_dir, parse_config
from tests.conftest import pair_config

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)


def _mutated_config():
    """Valid documents with one key replaced by arbitrary JSON: exercises deep schema paths."""
    base = pair_config()
    keys = [
        "name",
        "jira",
        "userProjectKey",
        "devProjectKey",
        "syncIntervalMinutes",
        "rules",
        "database",
        "initialSyncEnabled",
        "commentSync",
        "fieldSync",
        "jql",
    ]
    return st.tuples(st.sampled_from(keys), json_values).map(lambda kv: {**base, kv[0]: kv[1]})


def _check(outcome) -> None:
    if isinstance(outcome, list):
        assert outcome, "a rejected file must carry at least one problem"
        for problem in outcome:
            line = problem.line()
            assert "\n" not in line and line.startswith("sync-x.json: $")
            assert "Traceback" not in line


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes(raw):
    _check(parse_config("sync-x.json", raw, {}))


@settings(max_examples=300, deadline=None)
@given(json_values | _mutated_config())
def test_arbitrary_json(doc):
    _check(parse_config("sync-x.json", json.dumps(doc).encode(), {"JIRA_API_TOKEN": "t0ken"}))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.binary(max_size=80) | json_values.map(lambda d: json.dumps(d).encode()), max_size=4))
def test_directory_of_garbage_still_loads_the_valid_file(tmp_path_factory, blobs):
    directory = tmp_path_factory.mktemp("cfg")
    (directory / "sync-valid.json").write_text(json.dumps(pair_config("valid")))
    for i, blob in enumerate(blobs):
        (directory / f"sync-junk{i}.json").write_bytes(blob)
    result = load_config_dir(directory, {"JIRA_API_TOKEN": "t0ken"})
    assert [c.config.name for c in result.configs] == ["valid"]
    bad_files = {p.file for p in result.problems}
    assert bad_files == {f"sync-junk{i}.json" for i in range(len(blobs))}
    assert all("\n" not in p.line() for p in result.problems)


# -- hostile files: special files, huge numbers, deep nesting, broken Unicode ---------------
BOM = b"\xef\xbb\xbf"


def _doc(**overrides) -> bytes:
    return json.dumps(pair_config("hostile", database="hostile_db", **overrides)).encode()


def _with(text: bytes, placeholder: str, value: bytes) -> bytes:
    """A valid document with one JSON value replaced by raw text ``json.dumps`` cannot produce."""
    return text.replace(json.dumps(placeholder).encode(), value, 1)


HOSTILE_CONTENT: dict[str, bytes] = {
    "huge-int": b'{"name": ' + b"9" * 5000 + b"}",
    "huge-int-in-field": _with(_doc(syncIntervalMinutes="@"), "@", b"-" + b"7" * 100_000),
    "huge-float": _with(_doc(syncIntervalMinutes="@"), "@", b"1e999"),
    "long-float": _with(_doc(syncIntervalMinutes="@"), "@", b"1" * 5000 + b".5"),
    "nan": _with(_doc(syncIntervalMinutes="@"), "@", b"NaN"),
    "infinity": b'{"rules": [-Infinity]}',
    "deep-array-500": b'{"rules": ' + b"[" * 500 + b"]" * 500 + b"}",
    "deep-object-200k": b'{"a":' * 200_000 + b"1" + b"}" * 200_000,
    "deep-unclosed-1m": b"[" * 1_000_000,
    "lone-surrogate-value": _doc(userProjectKey="@").replace(b'"@"', b'"\\ud800"'),
    "lone-surrogate-key": b'{"\\udfff": 1}',
    "surrogate-pair-ok-but-schema": b'{"name": "\\ud83d\\ude00"}',
    "utf16": "{}".encode("utf-16"),
    "invalid-utf8": b'{"name": "\xff\xfe"}',
    "bom-only": BOM,
    "empty": b"",
    "nul-bytes": b"\x00" * 100,
    "too-large": b" " * ((1 << 20) + 1) + b"{}",
    "many-unknown-keys": json.dumps({f"k{i}": i for i in range(50_000)}).encode(),
    "long-key": json.dumps({"x" * 100_000: 1}).encode(),
    "control-chars": b'{"name": "\x1b[31mred\x1b[0m"}',
}


def _special_files(directory: Path) -> list[str]:
    """Files no config loader should open blindly; returns their names."""
    names = []

    def add(name: str, make) -> None:
        make(directory / name)
        names.append(name)

    add("sync-fifo.json", os.mkfifo)
    add("sync-zero.json", lambda p: p.symlink_to("/dev/zero"))
    add("sync-urandom.json", lambda p: p.symlink_to("/dev/urandom"))
    add("sync-dir.json", lambda p: p.mkdir())
    add("sync-loop.json", lambda p: p.symlink_to(p))
    add("sync-dangling.json", lambda p: p.symlink_to(directory / "gone"))

    def make_socket(p: Path) -> None:
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(p))
        sock.close()

    add("sync-socket.json", make_socket)
    if os.geteuid() != 0:  # root reads mode-000 files anyway
        add("sync-unreadable.json", lambda p: (p.write_bytes(_doc()), p.chmod(0)))
    add("sync-line\nbreak.json", lambda p: p.write_bytes(b"{oops"))
    return names


def _hostile_dir(directory: Path) -> list[str]:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "sync-valid.json").write_text(json.dumps(pair_config("valid")))
    names = _special_files(directory)
    for label, content in HOSTILE_CONTENT.items():
        (directory / f"sync-{label}.json").write_bytes(content)
        names.append(f"sync-{label}.json")
    return names


def _one_line_each(result, bad: list[str]) -> None:
    assert [c.config.name for c in result.configs] == ["valid"]
    assert {p.file for p in result.problems} == set(bad)
    for problem in result.problems:
        line = problem.line()
        assert line.isprintable() and len(line) < 500, line
    by_file = {f: [p for p in result.problems if p.file == f] for f in bad}
    assert all(1 <= len(lines) <= 21 for lines in by_file.values())


@pytest.mark.parametrize("label", sorted(HOSTILE_CONTENT))
def test_hostile_content_is_one_problem_for_its_file(label):
    outcome = parse_config(f"sync-{label}.json", HOSTILE_CONTENT[label], {"JIRA_API_TOKEN": "t0ken"})
    assert isinstance(outcome, list) and outcome, label
    assert all(p.line().isprintable() for p in outcome)


def test_expected_reasons_for_hostile_content():
    reasons = {
        label: parse_config("f.json", content, {"JIRA_API_TOKEN": "t0ken"})[0].line()
        for label, content in HOSTILE_CONTENT.items()
    }
    assert reasons["huge-int"] == "f.json: $: invalid JSON: number with 5000 digits (at most 100)"
    assert reasons["huge-float"] == "f.json: $: invalid JSON: number 1e999 is out of range"
    assert reasons["nan"] == "f.json: $: invalid JSON: NaN is not a JSON value"
    assert reasons["infinity"] == "f.json: $: invalid JSON: -Infinity is not a JSON value"
    assert reasons["deep-array-500"] == "f.json: $.rules[0]: nested more than 64 levels deep"
    assert reasons["deep-object-200k"] == "f.json: $: invalid JSON: nested too deeply"
    assert reasons["lone-surrogate-value"] == "f.json: $.userProjectKey: not valid Unicode (lone surrogate escape)"
    assert reasons["utf16"] == "f.json: $: UTF-16 text (save it as UTF-8)"
    assert reasons["invalid-utf8"] == "f.json: $: not UTF-8 text (byte 10)"
    assert "more problems" in parse_config("f.json", HOSTILE_CONTENT["many-unknown-keys"], {})[-1].line()
    # A UTF-8 byte-order mark is fine.
    assert not isinstance(parse_config("f.json", BOM + _doc(), {"JIRA_API_TOKEN": "t0ken"}), list)


def test_special_files_are_reported_without_opening_them_blindly(tmp_path):
    directory = tmp_path / "cfg"
    bad = _hostile_dir(directory)
    started = time.monotonic()
    result = load_config_dir(directory, {"JIRA_API_TOKEN": "t0ken"})
    assert time.monotonic() - started < 30, "a FIFO or a device must not block the loader"
    _one_line_each(result, bad)
    lines = {p.file: p.line() for p in result.problems}
    assert lines["sync-fifo.json"].endswith("not a regular file (a named pipe)")
    assert lines["sync-zero.json"].endswith("not a regular file (a character device)")
    assert lines["sync-dir.json"].endswith("not a regular file (a directory)")
    assert lines["sync-socket.json"].endswith("not a regular file (a socket)")
    assert lines["sync-loop.json"].endswith("cannot read file: Too many levels of symbolic links")
    assert lines["sync-too-large.json"].endswith(f"file too large ({(1 << 20) + 3} bytes; at most {1 << 20})")
    assert lines["sync-line\nbreak.json"].startswith("sync-line\\nbreak.json: $: invalid JSON")


def test_validate_configs_process_over_hostile_files_exits_1_or_2_never_hangs(tmp_path):
    """The real command in a real process: each hostile file alone beside a valid one, then all
    together. Figures: files tried and runs with an exit code other than 0/1/2 (must be 0)."""
    env = {**os.environ, "JIRA_API_TOKEN": "t0ken", "PYTHONPATH": os.pathsep.join(sys.path)}
    everything = tmp_path / "all"
    bad = _hostile_dir(everything)
    runs = [(everything, bad)]
    rng = random.Random(17)
    for i in range(4):  # random mixes of a few hostile files each
        directory = tmp_path / f"mix{i}"
        directory.mkdir()
        (directory / "sync-valid.json").write_text(json.dumps(pair_config("valid")))
        chosen = rng.sample(sorted(HOSTILE_CONTENT), 4)
        for label in chosen:
            (directory / f"sync-{label}.json").write_bytes(HOSTILE_CONTENT[label])
        os.mkfifo(directory / "sync-fifo.json")
        runs.append((directory, [f"sync-{label}.json" for label in chosen] + ["sync-fifo.json"]))
    tried, outside = 0, []
    for directory, files in runs:
        for extra in ([], ["--json"]):
            done = subprocess.run(
                [sys.executable, "-m", "jirasync_cli", "validate-configs", "--config-dir", str(directory), *extra],
                capture_output=True,
                timeout=120,
                env=env,
            )
            tried += len(files)
            if done.returncode not in (0, 1, 2):
                outside.append((directory.name, done.returncode, done.stderr[-300:]))
            assert b"Traceback" not in done.stdout + done.stderr and b"internal error" not in done.stderr
            if extra:
                report = json.loads(done.stdout)
                assert sorted(report["invalid"]) == sorted(files) and report["valid"][0]["name"] == "valid"
    print(
        f"\nconfig fuzz: {tried} hostile files tried in {2 * len(runs)} validate-configs runs, "
        f"{len(outside)} runs with an exit code outside 0/1/2"
    )
    assert outside == []
