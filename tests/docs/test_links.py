"""The docs link to each other, and every relative link and anchor resolves."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.docs.markdown import DOCS, REPO, anchors, doc_files, links

EXPECTED = {"architecture.md", "configuration.md", "rules-cookbook.md", "operations.md", "troubleshooting.md", "cli.md"}


def test_the_expected_documents_exist():
    assert EXPECTED <= {p.name for p in doc_files()}


@pytest.mark.parametrize("path", doc_files(), ids=lambda p: p.name)
def test_relative_links_and_anchors_resolve(path: Path):
    text = path.read_text()
    for link in links(text):
        if link.startswith(("http://", "https://", "mailto:")):
            continue
        target, _, anchor = link.partition("#")
        file = (path.parent / target).resolve() if target else path
        assert file.exists(), f"{path.name}: broken link {link}"
        assert REPO in file.parents or file == REPO, f"{path.name}: link leaves the repository: {link}"
        if anchor:
            assert file.suffix == ".md", f"{path.name}: anchor on a non-Markdown target {link}"
            assert anchor in anchors(file.read_text()), f"{path.name}: no heading for #{anchor} in {file.name}"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_document_links_to_the_others(name: str):
    targets = {link.partition("#")[0] for link in links((DOCS / name).read_text())}
    missing = EXPECTED - {name} - targets
    assert not missing, f"{name} does not link to {sorted(missing)}"
