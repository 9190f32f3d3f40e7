"""The fast check: does a record already hold exactly what the schema declares, normalised?

msgspec types built from the schema's field tree validate a whole record in C: every declared
value of its declared type, every date a calendar date, no undeclared top-level key; the
timestamps' text is then checked for the canonical form (``...T..:..:..Z``), all at once (a
msgspec pattern per value costs as much again as the whole check). RECORD mode converts the
parsed dict into ``RECORD_SHAPE`` (``fit_record``); BATCH mode decodes whole blocks of lines
into ``line_shape()`` (``shape_timestamps_of``, ``canonical_timestamps``). Whether texts are
written canonically is ``timestamps.written_canonically``'s one test. Records that pass
need no other work but turning integer ``peopleai_id``s into strings, which the API sends so
often that the fast path does it itself. Keys inside objects that the schema does not declare
are skipped by these types and stay where they are.
"""

from __future__ import annotations

import datetime as dt
import functools
import keyword
import operator
from typing import Annotated, Any, Union

import msgspec

from tap_peopleai.records.schema import Field, activity_fields, activity_schema, field_of
from tap_peopleai.records.timestamps import written_canonically

# The identifier the fast path accepts as an integer and turns into a string: (array, key).
INTEGER_ID = ("participants", "peopleai_id")
INTEGER_ID_PATH = "participants[].peopleai_id"


def _value_type(field: Field, path: str, timestamp: Any) -> Any:
    options: list[Any] = []
    for kind in field.types:
        if kind == "string":
            if field.format == "date-time":
                options.append(timestamp)
            else:
                options.append(dt.date if field.format == "date" else str)
            if path == INTEGER_ID_PATH:
                options.append(int)  # the fast path converts it (fit_record, BATCH's rewrite)
        elif kind == "integer":
            options.append(int)
        elif kind == "number":
            options.append(float)
        elif kind == "boolean":
            options.append(bool)
        elif kind == "object":
            options.append(
                dict[str, Any]
                if field.properties is None
                else _struct(field, path, timestamp, top_level=False)
            )
        else:
            items = field.items
            item = Any if items is None else _value_type(items, f"{path}[]", timestamp)
            options.append(list[item])  # type: ignore[valid-type]
    if field.nullable:
        options.append(None)
    return options[0] if len(options) == 1 else Union[tuple(options)]  # noqa: UP007


def _struct(field: Field, path: str, timestamp: Any, *, top_level: bool) -> Any:
    assert field.properties is not None
    members: list[tuple[str, Any] | tuple[str, Any, Any]] = []
    for name, child in field.properties.items():
        child_path = f"{path}.{name}" if path else name
        value_type = _value_type(child, child_path, timestamp)
        if name.isidentifier() and not keyword.iskeyword(name):
            attribute, default = name, None
        else:
            attribute, default = f"field_{len(members)}", msgspec.field(default=None, name=name)
        if name in field.required:
            assert default is None, f"required key {name!r} must be a Python identifier"
            members.append((attribute, value_type))
        else:
            members.append((attribute, value_type, default))
    return msgspec.defstruct(
        "Shape_" + (path.replace(".", "_").replace("[]", "") or "activity"),
        members,
        kw_only=True,  # required members may follow those with defaults
        gc=False,
        forbid_unknown_fields=top_level,
    )


def _timestamp_paths(
    fields: dict[str, Field], prefix: tuple[str, ...] = ()
) -> list[tuple[str, ...]]:
    """Key paths, through objects, of every date-time field."""
    paths: list[tuple[str, ...]] = []
    for name, child in fields.items():
        if child.format == "date-time":
            paths.append((*prefix, name))
        if child.items is not None and _timestamp_paths({"": child.items}):
            msg = f"activities.json: a date-time inside the array {name!r} is not supported"
            raise ValueError(msg)
        if child.properties is not None:
            paths += _timestamp_paths(child.properties, (*prefix, name))
    return paths


# For dicts (RECORD mode): msgspec checks that timestamps are real calendar times, in C, and
# ``fit_record`` that the text is canonical.
_ZONED = Annotated[dt.datetime, msgspec.Meta(tz=True)]
RECORD_SHAPE: Any = _struct(field_of(activity_schema()), "", _ZONED, top_level=True)
assert set(activity_fields()) == set(RECORD_SHAPE.__struct_encode_fields__)


@functools.cache
def line_shape() -> Any:
    """For lines (BATCH mode only, so built on first use): timestamps stay text, for
    ``canonical_timestamps`` to check."""
    return _struct(field_of(activity_schema()), "", str, top_level=True)


# The key paths of the timestamps, split: the top-level ones are read with one C-level call per
# record (``map`` of ``dict.get``, ``attrgetter``); only the few nested ones take a Python loop.
# This runs for every record, and a Python loop over all the paths cost as much as the msgspec
# check itself.
_PATHS = _timestamp_paths(activity_fields())
_TOP_LEVEL = tuple(first for first, *rest in _PATHS if not rest)
_NESTED = tuple((first, tuple(rest)) for first, *rest in _PATHS if rest)
# One C call for the top-level values of a decoded shape (a tuple: the schema has several).
_top_level_attributes = operator.attrgetter(*_TOP_LEVEL)
assert len(_TOP_LEVEL) > 1


def _record_timestamps(record: dict[str, Any]) -> list[str]:
    """The timestamp texts of a record that fits ``RECORD_SHAPE``; None and absent left out."""
    values = [*filter(None, map(record.get, _TOP_LEVEL))]
    for first, rest in _NESTED:
        node = record.get(first)
        for key in rest:
            node = node.get(key) if node else None
        if node:
            values.append(node)
    return values


def fit_record(record: dict[str, Any]) -> int:
    """How many integer ids a fitting record held (now strings); -1 if unfit.

    A record fits if it holds only declared top-level keys, each value of its declared type,
    each timestamp canonical RFC 3339 UTC; integer ids (``INTEGER_ID``) are the one departure
    allowed, and converted in place.
    """
    try:
        msgspec.convert(record, RECORD_SHAPE)
    except msgspec.ValidationError:
        return -1
    # msgspec accepted each timestamp as RFC 3339 with a zone: the joined-text test holds.
    if not written_canonically(_record_timestamps(record)):
        return -1
    converted = 0
    array, key = INTEGER_ID
    for item in record.get(array) or ():
        if item is not None and type(value := item.get(key)) is int:
            item[key] = str(value)
            converted += 1
    return converted


def shape_timestamps_of(shape: Any) -> list[str]:
    """The timestamps of a decoded ``line_shape()``, as a list of texts."""
    values = [*filter(None, _top_level_attributes(shape))]
    for first, rest in _NESTED:
        node = getattr(shape, first)
        for key in rest:
            if node is None:
                break
            node = getattr(node, key, None)
        if node:
            values.append(node)
    return values


def canonical_timestamps(values: list[str]) -> bool:
    """Whether texts (of decoded shapes) are all canonical RFC 3339 UTC calendar times."""
    try:
        # One C call for all of them, where datetime.fromisoformat would be one per value.
        msgspec.convert(values, list[_ZONED])
    except msgspec.ValidationError:
        return False
    return written_canonically(values)


def count_integer_ids(shape: Any) -> int:
    """How many ids (``INTEGER_ID``) a decoded shape holds as integers."""
    count = 0
    array, key = INTEGER_ID
    for item in getattr(shape, array) or ():
        if item is not None and type(getattr(item, key)) is int:
            count += 1
    return count
