"""From fragment bytes to activity records: line framing, JSON parsing, timestamp normalisation.

Real exports have carried BOMs, CRLF line ends, blank lines and NUL padding; timestamps come
with ``Z``, naive (meaning UTC), with fractional seconds or offsets. Records leave here with
every known timestamp as RFC 3339 UTC (``...Z``).

BATCH mode needs lines, not records: ``normalise_block`` lets a block of lines that is already
clean through as it came, having validated it without building a record for each line.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import IO, Any, NamedTuple

import msgspec
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
    if _already_normal(value):
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


def _already_normal(value: str | None) -> bool:
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


class _PushStatus(msgspec.Struct, gc=False):
    push_time: str | None = None


class _Experimental(msgspec.Struct, gc=False):
    internal_match_status: _PushStatus | None = None


class ActivityTimes(msgspec.Struct, gc=False):
    """The timestamps of one activity line: what ``normalize_activity`` looks at, nothing else."""

    timestamp: str | None = None
    ingest_timestamp: str | None = None
    start_time: str | None = None
    end_time: str | None = None
    crm_status: _PushStatus | None = None
    experimental: _Experimental | None = None

    def normalised(self) -> bool:
        """Whether ``normalize_activity`` would leave the record as it is."""
        for value in (self.timestamp, self.ingest_timestamp, self.start_time, self.end_time):
            if not _already_normal(value):
                return False
        status = self.crm_status
        if status is not None and not _already_normal(status.push_time):
            return False
        experimental = self.experimental
        if experimental is not None and (match := experimental.internal_match_status) is not None:
            return _already_normal(match.push_time)
        return True


_decode_times = msgspec.json.Decoder(ActivityTimes).decode_lines
# Faster than testing each of the three pairs with ``in``.
_LINE_STARTING_BLANK = re.compile(rb"\n[\n \t]")


def read_block_times(block: Block) -> list[ActivityTimes] | None:
    """The times of each line of ``block``, if each line holds exactly one valid JSON object.

    None when that cannot be vouched for without parsing line by line: framing noise, a line
    that is not an object, invalid JSON or UTF-8, or a timestamp of an unexpected type.
    """
    data = block.data
    # One object per line: no line starts with whitespace (so each holds at least one
    # document), and there are as many documents as lines.
    if not data.startswith(b"{") or b"\r" in data or _LINE_STARTING_BLANK.search(data):
        return None
    try:
        times = _decode_times(data)
    except msgspec.MsgspecError:
        return None
    if len(times) != block.lines:
        return None
    try:
        # The decoder validates UTF-8 only in the strings it keeps.
        data.decode()
    except UnicodeDecodeError:
        return None
    return times


def normalise_block(
    block: Block, where: str, first: str, last: str | None
) -> tuple[bytes, int, int]:
    """Normalised JSON Lines of the activities in ``block`` dated within ``first..last``.

    Returns the lines, how many there are, and how many were left out for their date. Lines
    that are already normalised are passed on as they came; raises FragmentDataError as
    ``parse_activity`` does.
    """
    times = read_block_times(block)
    if times is not None and _all_normalised_within(times, first, last):
        return block.data, block.lines, 0
    kept: list[bytes] = []
    outside = 0
    for index, (number, line) in enumerate(iter_block_lines(block)):
        if times is not None and times[index].normalised():
            inside, normal = within_day(times[index].timestamp, first, last), line
        else:
            record, changed = parse_activity(line, number, where)
            inside = within_dates(record, first, last)
            normal = orjson.dumps(record) if changed else line
        if inside:
            kept.append(normal)
        else:
            outside += 1
    return b"".join(line + b"\n" for line in kept), len(kept), outside


def _all_normalised_within(times: list[ActivityTimes], first: str, last: str | None) -> bool:
    return all(
        times_of_line.normalised() and within_day(times_of_line.timestamp, first, last)
        for times_of_line in times
    )
