"""From fragment bytes to activity records: line framing, JSON parsing, normalisation.

Real exports have carried BOMs, CRLF line ends, blank lines and NUL padding. Records leave here
fitting the schema exactly (the fast RECORD path skips the SDK's conformance): undeclared
top-level fields in ``additional_fields``, every value of its declared type, every timestamp as
RFC 3339 UTC (``...Z``; see ``timestamps``). Most records already fit, and a check in C says so
(``shape``); the others are converted field by field (``conformance``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any, NamedTuple

import orjson

from tap_peopleai.errors import FragmentDataError
from tap_peopleai.records.conformance import (
    MissingRequiredField,
    Notes,
    RecordConformer,
    move_undeclared,
)
from tap_peopleai.records.schema import api_fields
from tap_peopleai.records.shape import fit_record

__all__ = [
    "Block",
    "iter_block_lines",
    "iter_fragment_blocks",
    "iter_fragment_lines",
    "parse_activity",
    "within_dates",
    "within_day",
]
_API_FIELDS = api_fields()

# Fragments are read in blocks of whole lines of about this size.
BLOCK_BYTES = 1 << 20

_BOM = b"\xef\xbb\xbf"


def within_dates(record: dict[str, Any], first: str, last: str | None) -> bool:
    """Whether the activity date (of ``timestamp``) lies in ``first..last`` (ISO dates)."""
    # within_day, inlined: this runs for every record. ``timestamp`` is text or None here.
    timestamp = record.get("timestamp")
    if not timestamp:
        return True
    day = timestamp[:10]
    return day >= first and (last is None or day <= last)


def within_day(timestamp: str | None, first: str, last: str | None) -> bool:
    """Whether the date of a normalised ``timestamp`` lies in ``first..last``; True if none."""
    day = (timestamp or "")[:10]
    return not day or (day >= first and (last is None or day <= last))


class Block(NamedTuple):
    """Whole lines of a fragment, ending with a newline."""

    first_line: int
    lines: int
    data: bytes


def iter_fragment_blocks(
    stream: IO[bytes], end: int | None = None, block_bytes: int = BLOCK_BYTES
) -> Iterator[Block]:
    """Blocks of about ``block_bytes`` from the stream's position up to ``end`` (a line start).

    Line numbers count every line from 1 at that position; a byte-order mark at the start of
    the file is dropped.
    """
    if stream.tell() == 0 and stream.read(len(_BOM)) != _BOM:
        stream.seek(0)
    number = 1
    while True:
        size = block_bytes if end is None else min(block_bytes, end - stream.tell())
        data = stream.read(size) if size > 0 else b""
        if not data:
            return
        if not data.endswith(b"\n"):
            # Stays within ``end``: it is the start of a line.
            data += stream.readline()
            if not data.endswith(b"\n"):
                data += b"\n"
        lines = data.count(b"\n")
        yield Block(number, lines, data)
        number += lines


def iter_block_lines(block: Block) -> Iterator[tuple[int, bytes]]:
    """Yield ``(line_number, content)`` for each non-blank line of a block."""
    for number, raw in enumerate(block.data.split(b"\n")[:-1], start=block.first_line):
        line = raw.strip(b"\r\x00 \t")
        if line:
            yield number, line


def iter_fragment_lines(stream: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    """Yield ``(line_number, content)`` for each non-blank line; numbers count every line from 1."""
    for block in iter_fragment_blocks(stream):
        yield from iter_block_lines(block)


def parse_activity(
    line: bytes, line_number: int, where: str, notes: Notes | None = None
) -> tuple[dict[str, Any], bool]:
    """Parse one JSON line and make it fit the schema; True beside it if that changed it.

    ``where`` names the job and fragment; new field names, converted values and values kept in
    ``additional_fields`` go to ``notes``. Raises FragmentDataError for a line that is not a
    JSON object, or has no usable ``uid``.
    """
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        problem = f": not valid JSON ({exc}); it starts with {line[:80]!r}"
        raise FragmentDataError(where, line_number, problem) from exc
    if type(record) is not dict:
        problem = f": expected a JSON object, got {type(record).__name__}"
        raise FragmentDataError(where, line_number, problem)
    changed = False
    if not record.keys() <= _API_FIELDS:
        move_undeclared(record, where, line_number, notes)
        changed = True
    # Integer peopleai_ids are normal at this API, not drift: converted, not counted.
    converted = fit_record(record)
    if converted >= 0:
        return record, changed or converted > 0
    try:
        RecordConformer(record, where, line_number, notes).conform()
    except MissingRequiredField as exc:
        problem = (
            f": {exc.name} is {exc.value!r}, but every activity needs one (it is the primary "
            "key); the line cannot be loaded"
        )
        raise FragmentDataError(where, line_number, problem) from None
    return record, True
