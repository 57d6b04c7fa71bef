"""docs/architecture.md opens with the package tree: every module has its line, no line is stale."""

from __future__ import annotations

import re

from tests.docs.markdown import REPO

PACKAGE = REPO / "src" / "jirasync_cli"


def documented_modules() -> set[str]:
    text = (REPO / "docs" / "architecture.md").read_text()
    block = text.split("## Code layout", 1)[1].split("```text\n", 1)[1].split("```", 1)[0]
    found, stack = set(), []
    for line in block.splitlines()[1:]:  # the first line is the package root
        match = re.match(r"( *)(\S+)", line)
        assert match, f"unexpected line in the tree: {line!r}"
        depth, name = len(match.group(1)) // 2, match.group(2)
        stack[depth - 1 :] = [name.rstrip("/")]
        if name.endswith(".py"):
            found.add("/".join(stack))
    return found


def test_every_module_has_its_line_in_the_tree():
    actual = {p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py")}
    documented = documented_modules()
    packages = {p.rsplit("/", 1)[0] + "/__init__.py" for p in documented if "/" in p}
    missing = actual - documented - packages  # a package's __init__ is described by its directory line
    assert not missing, f"docs/architecture.md lacks a line for: {sorted(missing)}"
    stale = documented - actual
    assert not stale, f"docs/architecture.md lists modules that do not exist: {sorted(stale)}"
