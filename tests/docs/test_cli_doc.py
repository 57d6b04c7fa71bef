"""docs/cli.md documents every command and every visible option of the real CLI, and
documents no option that does not exist."""

from __future__ import annotations

import re

import pytest
import typer

from jirasync_cli.cli import app
from tests.docs.markdown import read, sections

HEADING = r"`jirasync((?: [a-z][a-z-]*)*)`"


def walk(command, path=()):
    yield path, command
    for name, sub in sorted((getattr(command, "commands", None) or {}).items()):
        yield from walk(sub, (*path, name))


def is_group(command) -> bool:
    return bool(getattr(command, "commands", None))


def visible_options(command) -> list:
    return [p for p in command.params if getattr(p, "param_type_name", "") == "option" and not p.hidden]


COMMANDS = {" ".join(path): command for path, command in walk(typer.main.get_command(app))}
DOC = read("cli.md")
SECTIONS = {key.strip(): text for key, text in sections(DOC, HEADING).items()}


def label(name: str) -> str:
    return f"`jirasync {name}`" if name else "`jirasync`"


def mentions(text: str, flag: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", text) is not None


def test_the_walk_sees_the_known_commands():
    assert {"validate-configs", "run-worker", "supervise", "health", "state show", "state reset", "emulator"} <= set(
        COMMANDS
    )


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_a_section(name):
    command = COMMANDS[name]
    if is_group(command) and name and not visible_options(command):
        return  # a bare group (`state`): its subcommands have the sections
    assert name in SECTIONS, f"docs/cli.md has no section headed {label(name)}"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_visible_option_is_documented_in_its_commands_section(name):
    command = COMMANDS[name]
    section = SECTIONS.get(name)
    options = visible_options(command)
    if not options:
        return
    assert section is not None, f"docs/cli.md has no section headed {label(name)}"
    for option in options:
        for flag in [*option.opts, *option.secondary_opts]:
            assert mentions(section, flag), f"{label(name)}: {flag} is not documented in docs/cli.md"


@pytest.mark.parametrize("name", sorted(SECTIONS))
def test_documented_commands_and_options_exist(name):
    assert name in COMMANDS, f"docs/cli.md documents {label(name)}, which does not exist"
    command = COMMANDS[name]
    real = {flag for p in command.params for flag in [*getattr(p, "opts", []), *getattr(p, "secondary_opts", [])]}
    real.add("--help")
    table_rows = [line for line in SECTIONS[name].splitlines() if line.startswith("| `-")]
    for row in table_rows:
        first_cell = row.split("|")[1]
        for flag in re.findall(r"`(--?[a-z][a-z-]*)`", first_cell):
            assert flag in real, f"{label(name)} has no option {flag}, yet docs/cli.md lists it"


def test_hidden_options_stay_undocumented():
    for name, command in COMMANDS.items():
        for param in command.params:
            if getattr(param, "hidden", False):
                for flag in param.opts:
                    assert not mentions(DOC, flag), f"{flag} of {label(name)} is internal"


def test_the_overview_table_lists_every_leaf_command():
    overview = DOC.split("## Exit codes")[0]
    for name, command in COMMANDS.items():
        if name and not is_group(command):
            assert f"`jirasync {name}`" in overview, f"`jirasync {name}` missing from the overview table"
