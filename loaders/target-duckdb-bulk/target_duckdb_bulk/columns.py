"""JSON Schema properties as DuckDB columns: pure functions, no connection."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Types by the names DuckDB's information_schema reports (not aliases such as TIMESTAMPTZ): a
# table's existing column is compared with its wanted type by name, and a different name would
# retype (rewrite) the column on every run.
TIMESTAMPTZ = "TIMESTAMP WITH TIME ZONE"
# The Singer record metadata (the SDK's `add_record_metadata`), with the types DuckDB stores.
SDC_COLUMNS: dict[str, str] = {
    "_sdc_extracted_at": TIMESTAMPTZ,
    "_sdc_received_at": TIMESTAMPTZ,
    "_sdc_batched_at": TIMESTAMPTZ,
    "_sdc_deleted_at": TIMESTAMPTZ,
    "_sdc_sequence": "BIGINT",
    "_sdc_table_version": "BIGINT",
    "_sdc_sync_started_at": "BIGINT",
}
VERSION_COLUMN = "_sdc_table_version"
DELETED_COLUMN = "_sdc_deleted_at"
BATCHED_COLUMN = "_sdc_batched_at"

_FORMATS = {"date-time": TIMESTAMPTZ, "date": "DATE", "time": "TIME"}
_SCALARS = {"integer": "BIGINT", "number": "DOUBLE", "boolean": "BOOLEAN"}


def quote(identifier: str) -> str:
    """An identifier as DuckDB reads it verbatim, whatever characters it holds."""
    return '"' + identifier.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A string as a SQL literal."""
    return "'" + text.replace("'", "''") + "'"


def _types_of(prop: Mapping[str, Any]) -> set[str]:
    declared = prop.get("type")
    if isinstance(declared, str):
        return {declared}
    if isinstance(declared, list):
        return {t for t in declared if isinstance(t, str)}
    return set()


def duckdb_type(prop: Mapping[str, Any]) -> str:
    """The DuckDB type of a property's column.

    One JSON type besides null maps to its column type (strings by their `format`); objects,
    arrays, several types (`anyOf`, `["array", "string"]`) or none declared become JSON, which
    keeps any value as it was sent.
    """
    if "anyOf" in prop or "oneOf" in prop:
        return "JSON"
    kinds = _types_of(prop) - {"null"}
    if len(kinds) != 1:
        return "JSON"
    (kind,) = kinds
    if kind == "string":
        return _FORMATS.get(str(prop.get("format", "")), "VARCHAR")
    return _SCALARS.get(kind, "JSON")


def table_columns(schema: Mapping[str, Any]) -> dict[str, str]:
    """column -> DuckDB type, for every property of a stream's schema, in schema order.

    The `_sdc_*` metadata columns keep the types of ``SDC_COLUMNS`` whatever the schema says.
    """
    properties = schema.get("properties") or {}
    return {
        name: SDC_COLUMNS.get(name) or duckdb_type(prop if isinstance(prop, Mapping) else {})
        for name, prop in properties.items()
    }


def read_columns_literal(columns: Mapping[str, str]) -> str:
    """The `columns={...}` argument of read_json: every column typed, nothing sampled."""
    inner = ", ".join(f"{literal(name)}: {literal(kind)}" for name, kind in columns.items())
    return "{" + inner + "}"
