"""Validating emitted records against the stream's schema, formats included.

jsonschema checks ``date`` but, without an extra package, not ``date-time``: the checker here
adds it, as the tap promises it: RFC 3339 in UTC, written ``...Z``, a real calendar time.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from jsonschema import Draft7Validator, FormatChecker

from tap_peopleai.records.schema import activity_schema

_UTC_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z")
FORMATS = FormatChecker(["date"])


@FORMATS.checks("date-time", raises=ValueError)
def _utc_timestamp(value: object) -> bool:
    if not isinstance(value, str):
        return True  # the type keyword reports it
    if not _UTC_TIMESTAMP.fullmatch(value):
        return False
    dt.datetime.strptime(value[:19], "%Y-%m-%dT%H:%M:%S")  # raises for 2025-13-45
    return True


VALIDATOR = Draft7Validator(activity_schema(), format_checker=FORMATS)


def schema_violations(record: dict[str, Any]) -> list[str]:
    """Every way ``record`` departs from the schema, as readable lines (empty when none)."""
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '<record>'}: {error.message}"
        for error in VALIDATOR.iter_errors(record)
    ]


def undeclared_top_level(record: dict[str, Any]) -> set[str]:
    """Top-level keys the schema does not declare: every loader would drop them."""
    return set(record) - set(activity_schema()["properties"])
