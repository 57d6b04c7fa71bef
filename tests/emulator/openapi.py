"""Validate JSON against the schemas of Atlassian's Jira Cloud OpenAPI description.

OpenAPI 3.0 schema objects are close to JSON Schema draft 4; the one keyword to translate is
``nullable``. ``additionalProperties: false`` is kept on purpose: it is what catches invented keys.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator
from referencing import Registry
from referencing.jsonschema import DRAFT4

SPEC = Path(
    os.environ.get("JIRASYNC_OPENAPI_SPEC")
    or Path(__file__).resolve().parents[2] / "../shared/reference/jira-cloud-platform-openapi-v3.json"
)
URN = "urn:jira-cloud-openapi"


def _convert(node: Any) -> Any:
    if isinstance(node, list):
        return [_convert(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {k: _convert(v) for k, v in node.items()}
    if out.get("nullable") is True:
        out.pop("nullable")
        return {"anyOf": [out, {"type": "null"}]}
    return out


@lru_cache(maxsize=1)
def spec() -> dict:
    return json.loads(SPEC.read_text("utf-8"))


# Where the schema is stricter than Jira itself: Atlassian's own example response for
# GET /issue/{key}/changelog carries ``"from": null`` and ``"to": null`` in ChangeDetails.
KNOWN_NULLABLE = {"ChangeDetails": ("from", "fromString", "to", "toString")}


@lru_cache(maxsize=1)
def _registry() -> Registry:
    schemas = json.loads(json.dumps(spec()["components"]["schemas"]))
    for name, props in KNOWN_NULLABLE.items():
        for prop in props:
            schemas[name]["properties"][prop]["nullable"] = True
    root = {"components": {"schemas": _convert(schemas)}}
    return Registry().with_resource(URN, DRAFT4.create_resource(root))


def schema_ref(name: str) -> dict:
    return {"$ref": f"{URN}#/components/schemas/{name}"}


def errors(instance: Any, schema: dict | str) -> list[str]:
    if isinstance(schema, str):
        schema = schema_ref(schema)
    v = Draft4Validator(schema, registry=_registry())
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in v.iter_errors(instance)]


def response_schema(path: str, method: str, status: str) -> dict:
    """The schema of a documented response, with component refs made absolute."""
    content = spec()["paths"][path][method]["responses"][status]["content"]
    schema = next(iter(content.values()))["schema"]
    return json.loads(json.dumps(schema).replace('"#/components/', f'"{URN}#/components/'))
