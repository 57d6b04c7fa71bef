"""docs/configuration.md: the generated reference is current and complete; the generator
keeps hand-written text and refuses undocumented settings."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from jirasync_cli.settings_env import EnvSettings
from tests.docs.markdown import REPO, anchors, read
from tests.docs.tools_path import docs_gen

SCHEMA = json.loads((REPO / "schemas" / "sync-config.schema.json").read_text())


def test_committed_reference_matches_a_fresh_generation():
    _, current, fresh = docs_gen.generate(REPO)
    assert current == fresh, (
        "docs/configuration.md is out of date with schemas/sync-config.schema.json or settings.py: "
        "regenerate it with `python3 tools/dev.py docs` and commit it"
    )


def _properties(node: dict, path: str, out: dict[str, dict]) -> None:
    """Every property of the schema, by dotted path, following $refs into $defs."""
    for key, prop in node.get("properties", {}).items():
        child = f"{path}.{key}" if path else key
        out[child] = prop
        target = prop
        if "anyOf" in prop:
            target = next((o for o in prop["anyOf"] if o != {"type": "null"}), prop)
        if "$ref" in target:
            _properties(SCHEMA["$defs"][target["$ref"].rsplit("/", 1)[1]], child, out)
        items = target.get("items", {})
        if "$ref" in items:
            _properties(SCHEMA["$defs"][items["$ref"].rsplit("/", 1)[1]], f"{child}[]", out)


def _section_rows(block: str) -> dict[str, dict[str, str]]:
    """``### `path` `` sections → {key: row cells} of their tables."""
    out: dict[str, dict[str, str]] = {}
    section = ""
    for line in block.splitlines():
        if line.startswith("### "):
            title = line[4:].strip()
            section = "" if title == "Top level" else title.strip("`")
        elif line.startswith("| `"):
            cells = [c.strip() for c in line.strip("|").split(" | ")]
            key = cells[0].strip("`")
            out[f"{section}.{key}" if section else key] = dict(
                zip(("key", "type", "required", "default", "description"), cells, strict=False)
            )
    return out


def generated_block() -> str:
    text = read("configuration.md")
    return text.split(docs_gen.START, 1)[1].split(docs_gen.END, 1)[0]


def test_every_schema_property_has_a_row_with_its_facts():
    props: dict[str, dict] = {}
    _properties(SCHEMA, "", props)
    rows = _section_rows(generated_block().split("## Process settings")[0])
    assert set(props) == set(rows), f"missing {set(props) - set(rows)}, extra {set(rows) - set(props)}"
    required_top = set(SCHEMA["required"])
    for path, prop in props.items():
        row = rows[path]
        if "default" in prop:
            assert row["default"] == f"`{json.dumps(prop['default'])}`", path
        if "." not in path:
            assert row["required"] == ("yes" if path in required_top else "no"), path
        if prop.get("description"):
            assert prop["description"].rstrip(".") in row["description"].replace("\\|", "|"), path
        enum = prop.get("enum") or (prop.get("items") or {}).get("enum")
        for value in enum or []:
            assert f"`{json.dumps(value)}`" in row["description"], (path, value)


def test_links_inside_the_reference_resolve():
    text = read("configuration.md")
    targets = set(re.findall(r"\]\(#([^)]+)\)", generated_block()))
    assert targets and targets <= anchors(text), targets - anchors(text)


def test_every_process_setting_is_documented_with_its_env_names():
    text = read("configuration.md")
    for name, field in EnvSettings.model_fields.items():
        for env_name in field.validation_alias.choices:
            assert f"`{env_name}`" in text, f"{env_name} ({name}) missing from docs/configuration.md"


def test_settings_without_a_description_stop_the_generator(monkeypatch):
    monkeypatch.delitem(docs_gen.SETTING_HELP, "lease_ttl_seconds")
    with pytest.raises(ValueError, match="lease_ttl_seconds"):
        docs_gen.render_settings()


def test_splice_keeps_hand_written_text_and_is_idempotent():
    doc = f"# Title\n\nintro\n\n{docs_gen.START}\nold stuff\n{docs_gen.END}\n\noutro\n"
    once = docs_gen.splice(doc, "NEW")
    assert once == f"# Title\n\nintro\n\n{docs_gen.START}\nNEW\n{docs_gen.END}\n\noutro\n"
    assert docs_gen.splice(once, "NEW") == once


@pytest.mark.parametrize(
    "doc", ["no markers", f"{docs_gen.END}\n{docs_gen.START}", f"{docs_gen.START}\n{docs_gen.START}\n{docs_gen.END}"]
)
def test_splice_refuses_documents_without_one_marker_pair(doc):
    with pytest.raises(ValueError):
        docs_gen.splice(doc, "x")


def _copy_repo_subset(tmp_path: Path) -> Path:
    for rel in (docs_gen.SCHEMA_PATH, docs_gen.DOC_PATH):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / rel, tmp_path / rel)
    return tmp_path


def test_command_line_check_and_regenerate(tmp_path, capsys):
    root = _copy_repo_subset(tmp_path)
    doc = root / docs_gen.DOC_PATH
    assert docs_gen.main(["--root", str(root), "--check"]) == 0
    stale = doc.read_text().replace("| `userProjectKey` |", "| `userProjectKeyOld` |")
    doc.write_text(stale)
    assert docs_gen.main(["--root", str(root), "--check"]) == 1
    assert "python3 tools/dev.py docs" in capsys.readouterr().err
    assert doc.read_text() == stale, "--check must not write"
    assert docs_gen.main(["--root", str(root)]) == 0
    assert doc.read_text() == (REPO / docs_gen.DOC_PATH).read_text()


def test_command_line_outside_the_repository_explains_itself(tmp_path, capsys):
    assert docs_gen.main(["--root", str(tmp_path)]) == 2
    assert "--root" in capsys.readouterr().err


def test_dev_task_checks_schema_and_docs():
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "tools/dev.py", "docs", "--check"], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
