"""Commands in the docs are real: every ``jirasync`` line names commands and options that
exist, and the documented way to try a config runs from a fresh checkout as written."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time

import psutil
import pytest
import typer

from jirasync_cli.cli import app
from jirasync_cli.doubles.mongo import free_port
from tests.docs.markdown import REPO, blocks, doc_files

ROOT_COMMAND = typer.main.get_command(app)
SHELL_LANGS = ("bash", "console", "sh", "shell")
# The tasks tools/dev.py dispatches on (`task == "name"`), read from the script itself.
DEV_TASKS = set(re.findall(r'task == "(\w+)"', (REPO / "tools" / "dev.py").read_text()))
assert {"test", "demo", "docs"} <= DEV_TASKS


def shell_lines() -> list[tuple[str, str]]:
    """(where, command line) for every line of a shell block in docs/ and the README."""
    out = []
    for path in [*doc_files(), REPO / "README.md"]:
        for block in blocks(path.read_text(encoding="utf-8")):
            if block.lang not in SHELL_LANGS:
                continue
            joined = re.sub(r"\\\n\s*", " ", block.text)
            for offset, line in enumerate(joined.splitlines()):
                line = line.strip()
                if block.lang == "console":  # a transcript: only prompt lines are commands
                    if not line.startswith("$ "):
                        continue
                line = line.removeprefix("$ ")
                if line and not line.startswith("#"):
                    out.append((f"{block.where(path)}+{offset + 1}", line))
    return out


def jirasync_invocations(line: str) -> list[list[str]]:
    """The argument lists given to ``jirasync`` in a line: where it starts a command (after
    any VAR=value), follows ``tools/dev.py``, or follows a compose service named jirasync."""
    words = shlex.split(line, comments=True)
    found: list[list[str]] = []
    current: list[str] | None = None
    starts, previous = True, ""
    for word in words:
        if word in ("|", "&", "&&", ";", ">", "<", "||") or word.startswith(("|", ">")):
            current, starts, previous = None, True, ""
            continue
        if current is not None and not (word == "jirasync" and not current):
            current.append(word)
        elif word == "jirasync" and (starts or previous in ("tools/dev.py", "jirasync")):
            if current is not None:
                found.pop()  # `compose exec jirasync jirasync ...`: that was the service
            current = []
            found.append(current)
        starts = starts and re.match(r"^\w+=", word) is not None
        previous = word
    return found


def check(args: list[str]) -> None:
    """Raise unless ``args`` name an existing command and only its options."""
    command = ROOT_COMMAND
    path = ["jirasync"]
    for arg in args:
        if arg.startswith("-"):
            flag = arg.split("=", 1)[0]
            known = {o for p in command.params for o in (*p.opts, *p.secondary_opts)} | {"--help"}
            assert flag in known, f"{' '.join(path)} has no option {flag}"
        elif arg in (getattr(command, "commands", None) or {}):
            command = command.commands[arg]
            path.append(arg)
        elif getattr(command, "commands", None):
            if arg.startswith("$") or "..." in arg or arg.isupper():
                return  # a placeholder such as NAME
            raise AssertionError(f"{' '.join(path)} has no command {arg!r}")


LINES = shell_lines()


@pytest.mark.parametrize(("where", "line"), LINES, ids=[w for w, _ in LINES])
def test_documented_command_lines_name_real_commands_and_options(where, line):
    for args in jirasync_invocations(line):
        check(args)
    dev = re.search(r"tools/dev\.py (\S+)", line)
    if dev:
        assert dev.group(1) in DEV_TASKS, f"{where}: tools/dev.py has no task {dev.group(1)}"


def test_the_checker_catches_a_wrong_option_and_command():
    with pytest.raises(AssertionError, match="no option --nope"):
        check(["run-worker", "ab", "--nope"])
    with pytest.raises(AssertionError, match="no command 'stat'"):
        check(["stat", "show"])


# -- the documented way to try a config ---------------------------------------------------
def try_it_snippet() -> list[str]:
    text = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    for block in blocks(text, "bash"):
        if "dev-mongo &" in block.text:
            return [line for line in block.text.splitlines() if line.strip()]
    pytest.fail("docs/cli.md shows no way to try a config with dev-mongo and the emulator")


def wait_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"nothing listens on {port}")


def test_trying_a_config_runs_as_documented_from_a_fresh_checkout(tmp_path):
    """The snippet, line by line, in a directory holding only what a clone has (examples/),
    with free ports instead of 27017 and 8080 (which may be taken on this machine)."""
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    mongo_port, emu_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JIRASYNC_", "JIRA_"))}
    env["JIRASYNC_MONGODB_URL"] = f"mongodb://127.0.0.1:{mongo_port}/?directConnection=true"
    background: list[subprocess.Popen[str]] = []
    try:
        for line in try_it_snippet():
            line = line.replace("27017", str(mongo_port)).replace("8080", str(emu_port))
            code = line.split("#", 1)[0].strip()
            if code.startswith("export "):
                env.update(dict(w.split("=", 1) for w in shlex.split(code)[1:]))
                continue
            words = shlex.split(code.rstrip("&").strip())
            assert words[0] == "jirasync", line
            if code == "jirasync dev-mongo &":
                words += ["--port", str(mongo_port)]  # the documented default port, moved
            command = [sys.executable, "-m", "jirasync_cli", *words[1:]]
            if code.endswith("&"):
                background.append(
                    subprocess.Popen(
                        command,
                        cwd=tmp_path,
                        env=env,
                        stdout=subprocess.PIPE,
                        stderr=subprocess.STDOUT,
                        text=True,
                        start_new_session=True,
                    )
                )
                wait_port(mongo_port if "dev-mongo" in code else emu_port)
                continue
            result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180)
            assert result.returncode == 0, f"{line}\n{result.stdout}\n{result.stderr}"
            if "run-worker" in code:
                assert "plan" in result.stdout and "create_issue" in result.stdout, result.stdout
    finally:
        trees = {
            p.pid: [c.pid for c in psutil.Process(p.pid).children(recursive=True)]
            for p in background
            if p.poll() is None
        }
        for proc in background:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)  # Ctrl-C, as the docs say
        outputs = [proc.communicate(timeout=30)[0] for proc in background]
    for proc, out in zip(background, outputs, strict=True):
        assert proc.returncode in (0, 130), out
        assert "Traceback" not in out
    assert not [
        pid
        for pids in trees.values()
        for pid in pids
        if psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    ], "dev-mongo stopped its server"


def test_dev_mongo_without_the_extra_says_how_to_install_it(cli, monkeypatch):
    monkeypatch.setattr("jirasync_cli.cli.dev_mongo.find_server", lambda: None)
    result = cli.run("dev-mongo")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "error: the embedded MongoDB server is not installed: pip install "
        "'jirasync[embedded]' (from a source checkout: python3 tools/dev.py jirasync "
        "dev-mongo)"
    )


def test_dev_mongo_on_a_taken_port_is_one_line(cli):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = cli.run("dev-mongo", "--port", str(busy.getsockname()[1]))
    assert result.exit_code == 1 and "is a MongoDB already running there?" in result.stderr
