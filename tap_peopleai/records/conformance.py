"""Records that depart from the schema, made to fit it without losing anything.

Undeclared top-level fields move into ``additional_fields`` under their own names (loaders drop
undeclared top-level keys; a declared JSON column keeps them). A declared value of another type
is converted when the conversion loses nothing (``"123"`` -> 123 for an integer, ``3.0`` -> 3,
``"true"`` -> true, an integer id -> its string, any timestamp -> RFC 3339 UTC); otherwise the
field is set to null and the value, as sent, kept in ``additional_fields`` under the field's
path. Undeclared keys inside objects stay where they are: those columns are JSON everywhere.
"""

from __future__ import annotations

import math
import re
from typing import Any, Protocol

import orjson

from tap_peopleai.records.field_notes import KeptValue, field_pattern
from tap_peopleai.records.schema import (
    ADDITIONAL_FIELDS,
    TAP_FIELDS,
    Field,
    activity_fields,
    activity_schema,
    api_fields,
    field_of,
)
from tap_peopleai.records.shape import INTEGER_ID_PATH
from tap_peopleai.records.timestamps import normalize_date, normalize_timestamp

_INTEGER_TEXT = re.compile(r"0|-?[1-9]\d*")
_REQUIRED = tuple(field_of(activity_schema()).required)
_ACCEPTS = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
}


class Notes(Protocol):
    """Where findings go: a FieldNotes or a FieldReport."""

    def new_field(self, name: str, where: str, line: int) -> None: ...
    def converted(self, path: str, count: int = 1) -> None: ...
    def kept(self, value: KeptValue) -> None: ...


class _NotConvertible(Exception):
    """The value cannot be held by the declared type without loss."""


class MissingRequiredField(Exception):
    """A required field (the primary key) is absent, null, or not convertible to its type."""

    def __init__(self, name: str, value: Any) -> None:
        super().__init__(f"{name} is {value!r}")
        self.name = name
        self.value = value


def move_undeclared(record: dict[str, Any], where: str, line: int, notes: Notes | None) -> None:
    """Move the record's undeclared top-level fields into ``additional_fields``, in place."""
    known = api_fields()
    names = [name for name in record if name not in known]
    if not names:
        return
    # An "additional_fields" the API sent is one of them: kept under its name like the others.
    kept = {name: record.pop(name) for name in names}
    record[ADDITIONAL_FIELDS] = kept
    if notes is not None:
        for name in names:
            notes.new_field(name, where, line)


class RecordConformer:
    """Converts the declared fields of one record, noting what it converted or kept."""

    def __init__(self, record: dict[str, Any], where: str, line: int, notes: Notes | None):
        self.record = record
        self.where = where
        self.line = line
        self.notes = notes

    def conform(self) -> None:
        """Every declared top-level field of the record converted or kept, in place."""
        record = self.record
        for name in _REQUIRED:
            try:
                record[name] = self._convert(record.get(name), activity_fields()[name], name)
            except _NotConvertible:
                raise MissingRequiredField(name, record.get(name)) from None
        for name, field in activity_fields().items():
            if name in record and name not in TAP_FIELDS and name not in _REQUIRED:
                record[name] = self.value(record[name], field, name)

    def value(self, value: Any, field: Field, path: str) -> Any:
        """``value`` as ``field`` declares it, or None with the value kept."""
        try:
            return self._convert(value, field, path)
        except _NotConvertible:
            self._keep(value, field, path)
            return None

    def _keep(self, value: Any, field: Field, path: str) -> None:
        kept = self.record.get(ADDITIONAL_FIELDS)
        if not isinstance(kept, dict):
            kept = self.record[ADDITIONAL_FIELDS] = {}
        kept[path] = value
        if self.notes is not None:
            text = orjson.dumps(value).decode()
            short = text if len(text) <= 80 else text[:77] + "..."
            uid = self.record.get("uid")
            self.notes.kept(KeptValue(self.where, self.line, uid, path, short, field.describe()))

    def _convert(self, value: Any, field: Field, path: str) -> Any:
        if value is None:
            if field.nullable:
                return None
            raise _NotConvertible
        for kind in field.types:
            if type(value) in _ACCEPTS[kind]:
                return self._as_declared(value, field, kind, path)
        for kind in field.types:
            try:
                converted = _CONVERSIONS[kind](value, field)
            except (_NotConvertible, ValueError, OverflowError):
                continue
            # Integer peopleai_ids are normal at this API (the fast path converts them without a
            # word): only drift is counted.
            if self.notes is not None and field_pattern(path) != INTEGER_ID_PATH:
                self.notes.converted(path)
            return converted
        raise _NotConvertible

    def _as_declared(self, value: Any, field: Field, kind: str, path: str) -> Any:
        if kind == "object" and field.properties is not None:
            for name, child in field.properties.items():
                if name in value:
                    value[name] = self.value(value[name], child, f"{path}.{name}")
        elif kind == "array" and field.items is not None:
            for index, item in enumerate(value):
                value[index] = self.value(item, field.items, f"{path}[{index}]")
        elif kind == "string" and field.format in ("date-time", "date"):
            normalize = normalize_timestamp if field.format == "date-time" else normalize_date
            try:
                return normalize(value)
            except ValueError:
                raise _NotConvertible from None
        return value


def _to_string(value: Any, field: Field) -> str:
    if field.format == "date-time":
        return normalize_timestamp(value)
    if field.format == "date":
        return normalize_date(value)
    if type(value) is int:
        return str(value)
    if type(value) is float and math.isfinite(value):
        # An id written as a float (12345.0) is the integer's digits; other floats, their repr.
        return str(int(value)) if value.is_integer() else repr(value)
    raise _NotConvertible


def _to_integer(value: Any, field: Field) -> int:
    if type(value) is float and value.is_integer():
        return int(value)
    if type(value) is str and _INTEGER_TEXT.fullmatch(value):
        return int(value)
    raise _NotConvertible


def _to_number(value: Any, field: Field) -> float:
    if type(value) is str:
        number = float(value)
        if math.isfinite(number) and repr(number) == value:
            return number
    raise _NotConvertible


def _to_boolean(value: Any, field: Field) -> bool:
    if value in ("true", "false") and type(value) is str:
        return value == "true"
    raise _NotConvertible


def _not_convertible(value: Any, field: Field) -> Any:
    raise _NotConvertible


_CONVERSIONS = {
    "string": _to_string,
    "integer": _to_integer,
    "number": _to_number,
    "boolean": _to_boolean,
    "object": _not_convertible,
    "array": _not_convertible,
}
