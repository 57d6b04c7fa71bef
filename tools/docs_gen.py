"""Generate the reference part of ``docs/configuration.md``.

Two tables are rendered between ``<!-- generated:start -->`` and ``<!-- generated:end -->``;
the hand-written text around the markers is kept:

* every key of a ``sync-*.json`` file, from ``schemas/sync-config.schema.json``: nested
  objects (``$defs``) get a section each, with type, required-ness, default, allowed
  values and constraints;
* the process settings (environment variables) of :class:`jirasync_cli.settings_env.EnvSettings`.

A developer tool, run through the project's venv (it imports the package)::

    python3 tools/dev.py docs           # regenerate the schema and docs/configuration.md
    python3 tools/dev.py docs --check   # exit 1 if either is out of date
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import typing
from pathlib import Path
from typing import Any

START = "<!-- generated:start -->"
END = "<!-- generated:end -->"
SCHEMA_PATH = Path("schemas/sync-config.schema.json")
DOC_PATH = Path("docs/configuration.md")
REGENERATE = "python3 tools/dev.py docs"
REPO = Path(__file__).resolve().parent.parent

# What each process setting means. EnvSettings has no field descriptions of its own; a new
# field without an entry here (or a description on the field) stops the generator.
SETTING_HELP = {
    "config_dir": "Directory holding the `sync-*.json` files.",
    "mongodb_url": "MongoDB connection string; every pair keeps its own database on this server.",
    "health_host": "Address the health endpoint binds to (`supervise`, `health --serve`).",
    "health_port": "Port of `/health`, `/livez`, `/readyz`, `/metrics`; also where `jirasync health` looks.",
    "sync_interval_minutes": "Minutes between cycles for pairs whose file sets no `syncIntervalMinutes`.",
    "log_level": "Least severe level logged.",
    "log_format": "`json`: one JSON object per line; `text`: readable lines; `auto`: JSON unless stderr is a terminal.",
    "lease_ttl_seconds": "Lifetime of a pair's lease, renewed every third of it. A standby supervisor on another "
    "host takes over a crashed holder's pair once the lease has expired: between 1 and about "
    "1.33 times this after the crash.",
    "webhook_secret": "Secret of the Jira webhooks posting to `/webhook` (HMAC-SHA256, `X-Hub-Signature`): "
    "unsigned or wrongly signed deliveries get 401. Unset: unsigned webhooks are accepted "
    "(only behind a proxy that authenticates Jira). Never logged.",
}


# -- schema -----------------------------------------------------------------------------
def _def_name(ref: str) -> str:
    if not ref.startswith("#/$defs/"):
        raise ValueError(f"unsupported $ref {ref!r}")
    return ref.rsplit("/", 1)[1]


def _code(value: Any) -> str:
    return f"`{json.dumps(value, ensure_ascii=False)}`"


def _cell(text: str) -> str:
    """Markdown table cells: no pipes, no newlines."""
    return " ".join(text.replace("|", "\\|").split())


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lowercase, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"<[^>]+>", "", heading).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


class SchemaRenderer:
    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema
        self.defs: dict[str, Any] = schema.get("$defs", {})
        self.sections: list[tuple[str, str, dict[str, Any]]] = []  # (path, def name, node)
        self._queued: set[str] = set()

    # A node is an "object" when it has properties; enum-only defs are inlined.
    def _resolve(self, node: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
        if "$ref" in node:
            name = _def_name(node["$ref"])
            return self.defs[name], name
        return node, None

    def _is_object(self, node: dict[str, Any]) -> bool:
        return "properties" in self._resolve(node)[0]

    def _heading(self, path: str) -> str:
        return f"`{path}`"

    def _link(self, path: str) -> str:
        return f"[{self._heading(path)}](#{github_slug(self._heading(path))})"

    def _queue(self, path: str, node: dict[str, Any]) -> None:
        target, name = self._resolve(node)
        if path not in self._queued:
            self._queued.add(path)
            self.sections.append((path, name or "", target))

    def _nullable(self, node: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        options = node.get("anyOf")
        if options and len(options) == 2 and {"type": "null"} in options:
            inner = next(o for o in options if o != {"type": "null"})
            return {**{k: v for k, v in node.items() if k != "anyOf"}, **inner}, True
        return node, False

    def type_of(self, node: dict[str, Any], path: str) -> str:
        node, nullable = self._nullable(node)
        target, _ = self._resolve(node)
        if "properties" in target:
            self._queue(path, node)
            text = f"object, see {self._link(path)}"
        elif target.get("type") == "array":
            items = target.get("items", {})
            if self._is_object(items):
                item_path = f"{path}[]"
                self._queue(item_path, items)
                text = f"array of objects, see {self._link(item_path)}"
            else:
                text = f"array of {self.type_of(items, path + '[]')}s"
        elif "enum" in target:
            text = "string"
        else:
            kind = target.get("type", "any")
            text = " or ".join(kind) if isinstance(kind, list) else str(kind)
        return f"{text} or null" if nullable else text

    def constraints(self, node: dict[str, Any]) -> list[str]:
        node, _ = self._nullable(node)
        target, _ = self._resolve(node)
        notes = []
        enum = target.get("enum") or (target.get("items") or {}).get("enum")
        if not enum and "$ref" in (target.get("items") or {}):
            enum = self._resolve(target["items"])[0].get("enum")
        if enum:
            prefix = "Each one of" if target.get("type") == "array" else "One of"
            notes.append(f"{prefix}: " + ", ".join(_code(v) for v in enum) + ".")
        bounds = []
        if "exclusiveMinimum" in target:
            bounds.append(f"> {target['exclusiveMinimum']:g}")
        if "minimum" in target:
            bounds.append(f"≥ {target['minimum']:g}")
        if "exclusiveMaximum" in target:
            bounds.append(f"< {target['exclusiveMaximum']:g}")
        if "maximum" in target:
            bounds.append(f"≤ {target['maximum']:g}")
        if bounds:
            notes.append("Range: " + ", ".join(bounds) + ".")
        if "pattern" in target:
            notes.append(f"Pattern: `{target['pattern']}`.")
        if target.get("minLength"):
            notes.append(f"At least {target['minLength']} character(s).")
        if target.get("minItems"):
            notes.append(f"At least {target['minItems']} item(s).")
        if target.get("format") == "password" or target.get("writeOnly"):
            notes.append("Secret: masked in every output.")
        return notes

    def default_of(self, node: dict[str, Any], required: bool) -> str:
        if "default" in node:
            return _code(node["default"])
        if required:
            return "—"
        target, _ = self._resolve(self._nullable(node)[0])
        if "properties" in target:
            return "all defaults"
        return "—"

    def table(self, path: str, node: dict[str, Any]) -> list[str]:
        required = set(node.get("required", []))
        rows = ["| Key | Type | Required | Default | Description |", "| --- | --- | --- | --- | --- |"]
        for key, prop in node.get("properties", {}).items():
            child = f"{path}.{key}" if path else key
            description = prop.get("description") or self._resolve(prop)[0].get("description", "")
            text = " ".join(
                filter(None, [description.rstrip(".") + "." if description else "", *self.constraints(prop)])
            )
            rows.append(
                "| "
                + " | ".join(
                    [
                        f"`{key}`",
                        _cell(self.type_of(prop, child)),
                        "yes" if key in required else "no",
                        _cell(self.default_of(prop, key in required)),
                        _cell(text),
                    ]
                )
                + " |"
            )
        return rows

    def extras_note(self, node: dict[str, Any]) -> str | None:
        if node.get("additionalProperties") is False:
            note = "Other keys are rejected"
            if "^_" in (node.get("patternProperties") or {}):
                note += ", except comment keys starting with `_`"
            return note + "."
        return None

    def render(self) -> str:
        out = ["### Top level", ""]
        out += self.table("", self.schema)
        note = self.extras_note(self.schema)
        if note:
            out += ["", note]
        out += self._render_children(0)
        return "\n".join(out)

    def _render_children(self, first: int) -> list[str]:
        """Sections queued since index ``first``, each followed by its own children (depth first)."""
        out: list[str] = []
        queued = self.sections[first:]
        for path, _, node in queued:
            mark = len(self.sections)
            out += ["", f"### {self._heading(path)}", ""]
            if node.get("description"):
                out += [node["description"], ""]
            out += self.table(path, node)
            out += self._render_children(mark)
        return out


def render_schema(schema: dict[str, Any]) -> str:
    return SchemaRenderer(schema).render()


# -- settings ---------------------------------------------------------------------------
def _type_name(annotation: Any) -> str:
    if typing.get_origin(annotation) is typing.Literal:
        return "string"
    optional = [a for a in typing.get_args(annotation) if a is not type(None)]
    if len(optional) == 1 and len(typing.get_args(annotation)) == 2:  # X | None: an unset setting
        return _type_name(optional[0])
    if getattr(annotation, "__name__", "") == "SecretStr":
        return "string (secret)"
    names = {str: "string", int: "integer", float: "number", bool: "boolean", Path: "path"}
    return names.get(annotation, getattr(annotation, "__name__", str(annotation)))


def _constraints(field: Any) -> list[str]:
    notes = []
    if typing.get_origin(field.annotation) is typing.Literal:
        notes.append("One of: " + ", ".join(f"`{v}`" for v in typing.get_args(field.annotation)) + ".")
    bounds = []
    for meta in field.metadata:
        for attr, sign in (("gt", ">"), ("ge", "≥"), ("lt", "<"), ("le", "≤")):
            value = getattr(meta, attr, None)
            if value is not None:
                bounds.append(f"{sign} {value:g}")
    if bounds:
        notes.append("Range: " + ", ".join(bounds) + ".")
    return notes


def settings_rows() -> list[dict[str, str]]:
    """One row per setting (EnvSettings field): env names, type, default, meaning (raises if undocumented)."""
    from jirasync_cli.settings_env import EnvSettings

    rows = []
    for name, field in EnvSettings.model_fields.items():
        choices = list(field.validation_alias.choices) if field.validation_alias else [name.upper()]
        meaning = field.description or SETTING_HELP.get(name)
        if not meaning:
            raise ValueError(f"Settings.{name} has no description: add one to SETTING_HELP in {__name__}")
        default = field.default
        if default is None:
            default_text = "unset"
        elif isinstance(default, float):
            default_text = f"`{default:g}`"
        elif isinstance(default, Path) and not default.is_absolute():
            default_text = f"`./{default}`"
        else:
            default_text = f"`{default}`"
        rows.append(
            {
                "name": name,
                "variable": str(choices[0]),
                "aliases": ", ".join(f"`{c}`" for c in choices[1:]),
                "type": _type_name(field.annotation),
                "default": default_text,
                "meaning": " ".join([meaning, *_constraints(field)]),
            }
        )
    return rows


def render_settings() -> str:
    out = ["| Variable | Also read as | Type | Default | Meaning |", "| --- | --- | --- | --- | --- |"]
    for row in settings_rows():
        out.append(
            "| "
            + " | ".join(
                _cell(x)
                for x in (f"`{row['variable']}`", row["aliases"] or "—", row["type"], row["default"], row["meaning"])
            )
            + " |"
        )
    return "\n".join(out)


# -- document ---------------------------------------------------------------------------
def render(schema: dict[str, Any]) -> str:
    """The generated block (without markers)."""
    return "\n".join(
        [
            f"<!-- Generated by `{REGENERATE}` from {SCHEMA_PATH} and jirasync_cli/settings.py;",
            "     edit those, not this block. -->",
            "",
            "## Reference: `sync-*.json`",
            "",
            render_schema(schema),
            "",
            "## Process settings",
            "",
            "Read from the environment, or from a `.env` file in the working directory. When both",
            "names of a setting are set, the `JIRASYNC_` one wins.",
            "",
            render_settings(),
        ]
    )


def splice(document: str, block: str) -> str:
    """``document`` with the text between the markers replaced by ``block``."""
    start, end = document.find(START), document.find(END)
    if start < 0 or end < start or document.count(START) != 1 or document.count(END) != 1:
        raise ValueError(f"the document needs exactly one {START} followed by one {END}")
    return document[: start + len(START)] + "\n" + block.strip("\n") + "\n" + document[end:]


def generate(root: Path) -> tuple[Path, str, str]:
    """(path, current text, regenerated text) of the configuration reference under ``root``."""
    schema = json.loads((root / SCHEMA_PATH).read_text(encoding="utf-8"))
    path = root / DOC_PATH
    current = path.read_text(encoding="utf-8")
    return path, current, splice(current, render(schema))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tools/docs_gen.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=REPO, help="repository root (default: this checkout)")
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is out of date; write nothing")
    args = parser.parse_args(argv)
    try:
        path, current, fresh = generate(args.root)
    except (OSError, ValueError) as exc:
        print(f"error: {exc} (pass --root to point at a checkout)", file=sys.stderr)
        return 2
    if args.check:
        if current != fresh:
            print(f"{path} is out of date: run `{REGENERATE}`", file=sys.stderr)
            return 1
        print(f"{path} is up to date")
        return 0
    if current != fresh:
        path.write_text(fresh, encoding="utf-8")
        print(f"wrote {path}")
    else:
        print(f"{path} is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
