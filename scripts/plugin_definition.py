"""The tap's Meltano plugin definition (Meltano Hub's format), rendered from `--about`.

Other Meltano projects add the tap with `meltano add --from-ref meltano-hub/tap-peopleai.yml
tap-peopleai`. `scripts/sync_readme.py` (`make readme`) writes the file and `--check` compares
it, so it cannot drift from the tap. What `--about` cannot express (which settings must be set
together) is read from the tap's entry in meltano.yml.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

DEFINITION_PATH = Path("meltano-hub") / "tap-peopleai.yml"

# Meltano setting kind for each JSON Schema type of the tap's settings. Numbers and dates are
# `string`: Meltano rewrites `date_iso8601` values by its own rules and crashes on a fractional
# or non-numeric env value of an `integer`, while the tap parses and checks each setting itself.
KIND_FOR_JSON_TYPE = {
    "string": "string",
    "integer": "string",
    "number": "string",
    "boolean": "boolean",
    "object": "object",
    "array": "array",
}

HEADER = """\
# Meltano plugin definition of tap-peopleai, in Meltano Hub's format.
# Generated from `tap-peopleai --about --format=json` by `make readme`: do not edit by hand.
# Add it to a Meltano project:  meltano add --from-ref meltano-hub/tap-peopleai.yml tap-peopleai
"""


def json_types(schema: dict[str, Any]) -> list[str]:
    """The non-null JSON Schema types of a setting."""
    types = schema.get("type", [])
    if isinstance(types, str):
        types = [types]
    non_null = [str(t) for t in types if t != "null"]
    if not non_null:
        raise ValueError(f"a setting needs a non-null type, got {types}")
    return non_null


def meltano_kind(schema: dict[str, Any]) -> str:
    """The Meltano setting kind for a setting of the tap (the one place kinds are decided).

    A setting that also accepts text (the tap's numbers, booleans and dates, and its enums) is
    `string`: Meltano's other kinds rewrite values (`date_iso8601`) or stop with a traceback on
    a bad one (`integer`, `options`), while `string` passes the value to the tap unchanged, whose
    parser is the authority. The SDK's built-in settings keep the kind of their one type.
    """
    types = json_types(schema)
    if "string" in types or "enum" in schema:
        return "string"
    if len(types) != 1:
        raise ValueError(f"a setting needs one type or text, got {types}")
    return KIND_FOR_JSON_TYPE[types[0]]


def setting(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    """One entry of `settings`: name, kind, label, description, sensitive, default, options."""
    entry: dict[str, Any] = {
        "name": name,
        "kind": meltano_kind(schema),
        "label": schema.get("title") or name.replace("_", " ").capitalize(),
        "description": " ".join(str(schema.get("description", "")).split()),
        "sensitive": bool(schema.get("secret") or schema.get("writeOnly")),
    }
    if not entry["description"]:
        raise ValueError(f"setting {name!r} has no description in the tap")
    if "default" in schema:
        entry["value"] = schema["default"]
    if entry["kind"] == "options":
        entry["options"] = [
            {"label": str(value).capitalize(), "value": value} for value in schema["enum"]
        ]
    return entry


def definition(about: dict[str, Any], group_validation: list[list[str]]) -> dict[str, Any]:
    """The plugin definition for `--about` output and the settings that go together."""
    properties: dict[str, dict[str, Any]] = about["settings"]["properties"]
    return {
        "name": about["name"],
        "label": "People.ai",
        "description": about["description"],
        "namespace": about["name"].replace("-", "_"),
        "pip_url": f"{about['name']}=={about['version']}",
        "executable": about["name"],
        "capabilities": sorted(about["capabilities"]),
        "keywords": ["people.ai", "backstory", "sales activities", "meltano sdk"],
        "settings_group_validation": group_validation,
        "settings": [setting(name, schema) for name, schema in properties.items()],
    }


def group_validation_from(meltano_yml: Path) -> list[list[str]]:
    """`settings_group_validation` of the tap-peopleai extractor in meltano.yml."""
    project = yaml.safe_load(meltano_yml.read_text())
    for plugin in project["plugins"]["extractors"]:
        if plugin["name"] == "tap-peopleai":
            groups: list[list[str]] = plugin["settings_group_validation"]
            return groups
    raise ValueError(f"{meltano_yml} has no tap-peopleai extractor")


def render(about: dict[str, Any], group_validation: list[list[str]]) -> str:
    """The definition file's text."""
    body = yaml.safe_dump(
        definition(about, group_validation), sort_keys=False, allow_unicode=True, width=100
    )
    return HEADER + body
