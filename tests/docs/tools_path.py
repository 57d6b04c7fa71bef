"""The developer tools under tools/ are scripts, not a package: import them from there."""

import importlib.util
from pathlib import Path

_PATH = Path(__file__).resolve().parents[2] / "tools" / "docs_gen.py"
_SPEC = importlib.util.spec_from_file_location("docs_gen", _PATH)
assert _SPEC is not None and _SPEC.loader is not None
docs_gen = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(docs_gen)
