"""The supervisor <-> worker channel: JSON lines over real pipes."""

from __future__ import annotations

import json
import os
import threading

import pytest

from jirasync_cli.runtime.ipc import LineReader, WorkerChannel, encode


def test_messages_split_across_reads_are_joined_and_several_in_one_read_split():
    reader = LineReader()
    first, second = encode({"type": "heartbeat", "n": 1}), encode({"type": "grant", "n": 5})
    data = first + second
    assert reader.feed(data[:7]) == []
    assert reader.feed(data[7 : len(first) + 3]) == [{"type": "heartbeat", "n": 1}]
    assert reader.feed(data[len(first) + 3 :]) == [{"type": "grant", "n": 5}]
    assert reader.feed(first + second) == [{"type": "heartbeat", "n": 1}, {"type": "grant", "n": 5}]
    assert reader.take_errors() == []


def test_bad_lines_are_dropped_and_reported_and_the_next_line_still_reads():
    reader = LineReader(limit=50)
    out = reader.feed(b"not json\n[1, 2]\n" + b"x" * 80 + b"\n" + encode({"type": "heartbeat"}))
    assert out == [{"type": "heartbeat"}]
    errors = reader.take_errors()
    assert errors == [
        "unreadable line of 8 bytes dropped (not JSON)",
        "line dropped: a JSON list, not an object",
        "line of 80 bytes dropped (limit 50)",
    ]
    assert reader.take_errors() == [], "errors are handed out once"


def test_a_runaway_line_without_newline_is_skipped_in_pieces_without_growing_the_buffer():
    reader = LineReader(limit=50)
    assert reader.feed(b"y" * 60) == []
    assert reader.feed(b"y" * 1000) == []
    assert reader.feed(b"y" * 10 + b"\n" + encode({"ok": True})) == [{"ok": True}]
    assert reader.take_errors() == ["line of 1070 bytes dropped (limit 50)"]


def test_encode_is_one_compact_line_even_for_values_json_does_not_know():
    from datetime import UTC, datetime

    line = encode({"type": "heartbeat", "ts": datetime(2026, 1, 2, tzinfo=UTC)})
    assert line.endswith(b"\n") and line.count(b"\n") == 1 and b", " not in line
    assert json.loads(line)["ts"] == "2026-01-02 00:00:00+00:00"


class Pipes:
    """Pipes closed after the test; an fd handed to a WorkerChannel is the channel's to close."""

    def __init__(self) -> None:
        self.fds: set[int] = set()

    def __call__(self) -> tuple[int, int]:
        r, w = os.pipe()
        self.fds |= {r, w}
        return r, w

    def close(self, fd: int) -> None:
        self.fds.discard(fd)
        os.close(fd)

    def channel(self, out_fd: int, stdin_fd: int) -> WorkerChannel:
        self.fds.discard(out_fd)
        return WorkerChannel(out_fd, stdin_fd)


@pytest.fixture
def pipes():
    made = Pipes()
    yield made
    for fd in made.fds:
        os.close(fd)


def test_the_worker_reads_its_config_first_and_nothing_else_instead(pipes):
    stdin_r, stdin_w = pipes()
    _, out_w = pipes()
    os.write(stdin_w, encode({"type": "grant", "n": 1}))
    with pytest.raises(ValueError, match="expected a config message, got 'grant'"):
        pipes.channel(out_w, stdin_r).receive_config()


def test_a_supervisor_gone_before_the_config_is_an_eof(pipes):
    stdin_r, stdin_w = pipes()
    _, out_w = pipes()
    pipes.close(stdin_w)
    with pytest.raises(EOFError):
        pipes.channel(out_w, stdin_r).receive_config()


def test_eof_on_stdin_tells_the_worker_its_supervisor_is_gone(pipes):
    stdin_r, stdin_w = pipes()
    _, out_w = pipes()
    channel = pipes.channel(out_w, stdin_r)
    os.write(stdin_w, encode({"type": "config", "pair": {}}) + encode({"type": "grant", "n": 2}))
    assert channel.receive_config() == {"type": "config", "pair": {}}
    gone = threading.Event()
    grants: list[dict] = []
    thread = channel.watch_parent(gone.set, grants.append)
    os.write(stdin_w, encode({"type": "grant", "n": 3}))
    assert not gone.wait(0.2)
    pipes.close(stdin_w)
    assert gone.wait(5)
    thread.join(5)
    assert grants == [{"type": "grant", "n": 2}, {"type": "grant", "n": 3}], "a grant read with the config too"


def test_heartbeats_reach_the_supervisor_and_a_closed_pipe_only_marks_the_channel_broken(pipes):
    out_r, out_w = pipes()
    stdin_r, _ = pipes()
    channel = pipes.channel(out_w, stdin_r)
    channel.send({"type": "heartbeat", "state": "running"})
    assert LineReader().feed(os.read(out_r, 4096)) == [{"type": "heartbeat", "state": "running"}]
    pipes.close(out_r)
    channel.send({"type": "heartbeat"})  # EPIPE: no exception, the worker runs on
    assert channel.broken
    channel.send({"type": "heartbeat"})  # and nothing more is tried
