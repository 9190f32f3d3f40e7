"""From fragment bytes to activity records: line framing, JSON parsing, timestamp normalisation.

Real exports have carried BOMs, CRLF line ends, blank lines and NUL padding; timestamps come
with ``Z``, naive (meaning UTC), with fractional seconds or offsets. Records leave here with
every known timestamp as RFC 3339 UTC (``...Z``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import IO, Any, NamedTuple

import orjson

from tap_peopleai.errors import FragmentDataError

TOP_LEVEL_TIMESTAMPS = ("timestamp", "ingest_timestamp", "start_time", "end_time")
# Fragments are read in blocks of whole lines of about this size.
BLOCK_BYTES = 1 << 20

_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?"
    r"\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?"
)
_BOM = b"\xef\xbb\xbf"


def normalize_timestamp(value: str) -> str:
    """Return ``value`` as RFC 3339 UTC; raises ValueError for text that is not a timestamp."""
    if not isinstance(value, str):
        msg = f"expected a timestamp string, got {type(value).__name__} {value!r}"
        raise TypeError(msg)
    if already_normalized(value):
        return value
    if len(value) == 19 and value[10] == "T" and value[13] == ":":
        return value + "Z"
    match = _TIMESTAMP.fullmatch(value.strip())
    if match is None:
        msg = f"not a timestamp: {value!r}"
        raise ValueError(msg)
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    moment = dt.datetime(
        int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0)
    )
    fraction = (fraction or "")[:6].rstrip("0")
    if zone and zone not in ("Z", "z"):
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        offset = dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
        moment -= sign * offset
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{text}.{fraction}Z" if fraction else f"{text}Z"


def already_normalized(value: str | None) -> bool:
    """None, or the shape the API documents and sends almost always: decided without a regex."""
    return value is None or (len(value) == 20 and value[19] == "Z" and value[10] == "T")


def normalize_activity(record: dict[str, Any]) -> bool:
    """Normalise the record's timestamps in place; True if any of them changed."""
    changed = False
    for key in TOP_LEVEL_TIMESTAMPS:
        value = record.get(key)
        if value is not None:
            normal = normalize_timestamp(value)
            if normal is not value:
                record[key] = normal
                changed = True
    status = record.get("crm_status")
    if status:
        changed = _normalize_push_time(status) or changed
    experimental = record.get("experimental")
    if experimental and isinstance(experimental, dict):
        changed = _normalize_push_time(experimental.get("internal_match_status")) or changed
    return changed


def _normalize_push_time(status: Any) -> bool:
    if not isinstance(status, dict):
        return False
    value = status.get("push_time")
    if value is None:
        return False
    normal = normalize_timestamp(value)
    if normal is value:
        return False
    status["push_time"] = normal
    return True


def within_dates(record: dict[str, Any], first: str, last: str | None) -> bool:
    """Whether the activity date (of ``timestamp``) lies in ``first..last`` (ISO dates)."""
    return within_day(str(record.get("timestamp") or ""), first, last)


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


def parse_activity(line: bytes, line_number: int, where: str) -> tuple[dict[str, Any], bool]:
    """Parse and normalise one JSON line; True beside it if normalising changed the record.

    ``where`` names the job and fragment for errors.
    """
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        problem = f": not valid JSON ({exc}); it starts with {line[:80]!r}"
        raise FragmentDataError(where, line_number, problem) from exc
    if not isinstance(record, dict):
        problem = f": expected a JSON object, got {type(record).__name__}"
        raise FragmentDataError(where, line_number, problem)
    try:
        return record, normalize_activity(record)
    except (ValueError, TypeError) as exc:
        problem = f" (uid {record.get('uid')!r}): {exc}"
        raise FragmentDataError(where, line_number, problem) from exc
