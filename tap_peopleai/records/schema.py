"""The activity record schema (``schemas/activities.json``) as a tree of declared fields.

The JSON file is the one description of a record: the SCHEMA message is the file itself, and the
checks and conversions of every record are built from this tree, so a field added to the file
is checked and converted like the others without further code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

# The declared catch-all column: undeclared top-level fields, and values kept in their original
# form because their declared type could not hold them.
ADDITIONAL_FIELDS = "additional_fields"
# Declared fields the tap fills itself, never the API (sync_version: the reconciliation's row
# version): a field of such a name from the API is undeclared, kept in additional_fields.
TAP_FIELDS = frozenset({ADDITIONAL_FIELDS, "sync_version"})
# Schema types a field may declare, besides "null".
KNOWN_TYPES = frozenset({"string", "integer", "number", "boolean", "object", "array"})


@dataclass(frozen=True, eq=False)
class Field:
    """One declared field: its JSON types (besides null) in schema order, and what it holds."""

    types: tuple[str, ...]
    nullable: bool
    format: str | None = None
    # Declared keys of an object; None for an object that may hold anything.
    properties: dict[str, Field] | None = None
    # The items of an array.
    items: Field | None = None
    # Keys an object must have.
    required: tuple[str, ...] = ()

    def describe(self) -> str:
        """The declared type in words, for messages: "an integer", "a date-time string"."""
        words = []
        for kind in self.types:
            if kind == "string" and self.format in ("date-time", "date"):
                words.append(f"a {self.format} string (RFC 3339)")
            elif kind == "array":
                items = self.items.types if self.items is not None else ()
                words.append(f"a list of {items[0]}s" if len(items) == 1 else "a list")
            else:
                words.append(("an " if kind[0] in "aeiou" else "a ") + kind)
        return " or ".join(words)


def field_of(schema: dict[str, Any], path: str = "") -> Field:
    """The Field tree of one JSON-schema node."""
    declared = schema.get("type", [])
    declared = [declared] if isinstance(declared, str) else list(declared)
    types = tuple(kind for kind in declared if kind != "null")
    unknown = set(types) - KNOWN_TYPES
    if unknown or not types:
        msg = f"activities.json: {path or 'the record'} declares unsupported types {declared}"
        raise ValueError(msg)
    properties = None
    if "properties" in schema:
        properties = {
            name: field_of(child, f"{path}.{name}".lstrip("."))
            for name, child in schema["properties"].items()
        }
    items = field_of(schema["items"], f"{path}[]") if "items" in schema else None
    required = tuple(schema.get("required", ()))
    return Field(types, "null" in declared, schema.get("format"), properties, items, required)


@cache
def stream_schema(stream: str) -> dict[str, Any]:
    """A stream's JSON schema (``schemas/<stream>.json``), as its SCHEMA message carries it.

    Cached and shared: callers that may change it (the SDK's stream) take a deep copy.
    """
    text = resources.files("tap_peopleai.records.schemas").joinpath(f"{stream}.json").read_text()
    schema: dict[str, Any] = json.loads(text)
    return schema


def activity_schema() -> dict[str, Any]:
    """The activity record's JSON schema."""
    return stream_schema("activities")


@cache
def activity_fields() -> dict[str, Field]:
    """The declared top-level fields of an activity record."""
    record = field_of(activity_schema())
    assert record.properties is not None
    return record.properties


@cache
def api_fields() -> frozenset[str]:
    """Top-level names the API may send that have a declared column of their own."""
    return frozenset(activity_fields()) - TAP_FIELDS
