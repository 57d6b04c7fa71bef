"""One spelling for JSON keys in CLI output: camelCase (as in the config files).

Stored documents (audit entries, the supervisor's health document) use snake_case; the
CLI converts them at the output boundary so ``--json`` is the same dialect everywhere.
Maps keyed by data keep their keys as they are: action kinds (``create_issue``) under
``actions``, ``counters`` and ``recovered``, and issue keys (``SUP-1``).
"""

from __future__ import annotations

from typing import Any

DATA_KEYED = frozenset({"actions", "counters", "recovered", "snapshots"})


def camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest) if rest and head else key


def camel_keys(value: Any, data_keyed: bool = False) -> Any:
    """``value`` with every object key camelCase, except the keys of data-keyed maps."""
    if isinstance(value, dict):
        return {
            (str(k) if data_keyed else camel(str(k))): camel_keys(v, str(k) in DATA_KEYED and not data_keyed)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [camel_keys(v) for v in value]
    return value
