"""BATCH mode: each fragment normalised into JSON Lines files, one per part, in any fsspec location.

Runs in worker processes, so everything crossing the process boundary is a plain dataclass.
Blocks of lines that already fit the schema are validated in C without building a record for
each line and written as they came, integer peopleai_ids rewritten as strings
(``normalize_block``); every other line goes through the same ``parse_activity`` as RECORD
mode. Compression uses ISA-L (``isal``): with zlib, gzip alone
would cost more than all the rest. RECORD mode never imports this module.
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import operator
import os
import posixpath
import re
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import IO, Any

import fsspec
import msgspec
import orjson
from isal import igzip

from tap_peopleai.errors import FragmentDataError
from tap_peopleai.records.conformance import Notes
from tap_peopleai.records.field_notes import FieldNotes
from tap_peopleai.records.parsing import (
    Block,
    iter_block_lines,
    iter_fragment_blocks,
    parse_activity,
    within_dates,
    within_day,
)
from tap_peopleai.records.shape import (
    canonical_timestamps,
    count_integer_ids,
    line_shape,
    shape_timestamps_of,
)

# ISA-L's gzip at level 1 compresses about four times as fast as zlib's fastest level, and the
# files are read once by a loader: speed matters more than size.
GZIP_LEVEL = 1
# A fragment is cut into parts, one per worker, so that every worker has work until the last
# fragment is done; parts are kept at least this large, so that loaders get files of a useful
# size.
MIN_PART_BYTES = 4 << 20


def plan_parts(path: str, parts: int) -> list[tuple[int, int]]:
    """Byte ranges ``[start, end)`` covering the file, of about equal size, cut after newlines.

    At most ``parts`` of them, and none under ``MIN_PART_BYTES`` unless the file is.
    """
    size = os.path.getsize(path)
    count = max(1, min(parts, size // MIN_PART_BYTES))
    cuts = [0]
    with open(path, "rb") as source:
        for number in range(1, count):
            source.seek(max(size * number // count, cuts[-1]))
            source.readline()
            if source.tell() < size:
                cuts.append(source.tell())
    cuts.append(size)
    return list(itertools.pairwise(cuts))


_decode_shapes = msgspec.json.Decoder(line_shape()).decode_lines
_timestamp = operator.attrgetter("timestamp")
# Faster than testing each of the three pairs with ``in``.
_LINE_STARTING_BLANK = re.compile(rb"\n[\n \t]")
# An integer value as int() prints it (no leading zero, no -0), ending where the value ends.
_PEOPLEAI_ID_KEY = b'"peopleai_id":'
_INTEGER = re.compile(rb"(?:0|-?[1-9]\d*)(?=[,}\s])")


def read_block_shapes(block: Block) -> list[Any] | None:
    """Each line of ``block`` decoded into ``line_shape()``, if each is one conforming object.

    None when that cannot be vouched for without parsing line by line: framing noise, a line
    that is not an object, invalid JSON or UTF-8, an undeclared top-level key, or a value of
    another type than declared.
    """
    data = block.data
    # One object per line: no line starts with whitespace (so each holds at least one
    # document), and there are as many documents as lines.
    if not data.startswith(b"{") or b"\r" in data or _LINE_STARTING_BLANK.search(data):
        return None
    try:
        shapes = _decode_shapes(data)
    except msgspec.MsgspecError:
        return None
    if len(shapes) != block.lines:
        return None
    if not data.isascii():
        try:
            # The decoder validates UTF-8 only in the strings it keeps, not in skipped values.
            data.decode()
        except UnicodeDecodeError:
            return None
    return shapes


def stringify_people_ids(data: bytes, expected: int) -> bytes | None:
    """``data`` with its ``expected`` integer peopleai_ids written as strings, or None.

    Every ``"peopleai_id":`` followed by an integer is a key spelled exactly so (inside a string
    the quotes would be escaped), or the end of a key ending in ``\\"peopleai_id``; a counted id
    is missed only if written with spaces or its key with a ``\\u`` escape. With neither escape
    in the block, as many matches as ids counted means they are those ids and no other; any
    doubt gives None, and the lines are then parsed one by one.
    """
    # One pass for a backslash first: most blocks have none, and then neither escape.
    if b"\\" in data and (b"\\u" in data or b'\\"peopleai_id' in data):
        return None
    pieces: list[bytes] = []
    done = matched = 0
    key = _PEOPLEAI_ID_KEY
    start = data.find(key)
    while start >= 0:
        value = start + len(key)
        number = _INTEGER.match(data, value)
        if number is not None:
            end = number.end()
            pieces += (data[done:value], b'"', data[value:end], b'"')
            done = end
            matched += 1
        start = data.find(key, value)
    if matched != expected:
        return None
    pieces.append(data[done:])
    return b"".join(pieces)


def normalize_block(
    block: Block, where: str, first: str, last: str | None, notes: Notes | None = None
) -> tuple[bytes, int, int]:
    """JSON Lines of the activities in ``block`` dated within ``first..last``, fitting the schema.

    Returns the lines, how many there are, and how many were left out for their date. Lines
    that already fit are passed on as they came (integer peopleai_ids rewritten in place);
    others go through ``parse_activity``, which raises FragmentDataError as in RECORD mode.
    """
    shapes = read_block_shapes(block)
    if shapes is not None:
        times = list(map(shape_timestamps_of, shapes))
        if canonical_timestamps(list(itertools.chain.from_iterable(times))) and _all_within(
            shapes, first, last
        ):
            ids = sum(map(count_integer_ids, shapes))
            data = stringify_people_ids(block.data, ids) if ids else block.data
            if data is not None:
                return data, block.lines, 0
    kept: list[bytes] = []
    outside = 0
    for index, (number, line) in enumerate(iter_block_lines(block)):
        shape = shapes[index] if shapes is not None else None
        if (
            shape is not None
            and canonical_timestamps(times[index])
            and count_integer_ids(shape) == 0
        ):
            inside, normal = within_day(shape.timestamp, first, last), line
        else:
            record, changed = parse_activity(line, number, where, notes)
            inside = within_dates(record, first, last)
            normal = orjson.dumps(record) if changed else line
        if inside:
            kept.append(normal)
        else:
            outside += 1
    return b"".join(line + b"\n" for line in kept), len(kept), outside


def _all_within(shapes: list[Any], first: str, last: str | None) -> bool:
    """Whether every activity date of canonical shapes lies in ``first..last``."""
    stamps = [*filter(None, map(_timestamp, shapes))]
    return not stamps or (min(stamps)[:10] >= first and (last is None or max(stamps)[:10] <= last))


@dataclass(frozen=True)
class BatchFileTask:
    """One part of a fragment (bytes ``start..end``) to turn into a batch file."""

    source_path: str
    start: int
    end: int
    url: str
    storage_params: dict[str, Any]
    where: str
    first_date: str
    last_date: str | None
    gzip: bool


@dataclass(frozen=True)
class BatchFileResult:
    """The written file, or the line that stopped it; and what its records held to tell."""

    url: str | None
    records: int
    outside_dates: int
    error: str | None = None
    bad_line: int | None = None
    notes: FieldNotes | None = None


def write_batch_file(task: BatchFileTask) -> BatchFileResult:
    """Normalise the part of the fragment at ``task.source_path`` into the file at ``task.url``."""
    # fsspec rather than the SDK's StorageTarget: importing the SDK would double the time a
    # worker process takes to start.
    filesystem, path = fsspec.core.url_to_fs(task.url, **task.storage_params)
    filesystem.makedirs(posixpath.dirname(path), exist_ok=True)
    records = outside = 0
    notes = FieldNotes()
    try:
        with open(task.source_path, "rb") as source, filesystem.open(path, "wb") as raw:
            sink: IO[bytes] | igzip.IGzipFile = raw
            if task.gzip:
                sink = igzip.IGzipFile(  # type: ignore[no-untyped-call]
                    fileobj=raw, mode="wb", compresslevel=GZIP_LEVEL
                )
            source.seek(task.start)
            for block in iter_fragment_blocks(source, task.end):
                lines, kept, left_out = normalize_block(
                    block, task.where, task.first_date, task.last_date, notes
                )
                sink.write(lines)
                records += kept
                outside += left_out
            if sink is not raw:
                sink.close()
    except FragmentDataError as exc:
        if task.start:
            exc = exc.renumbered(_lines_before(task.source_path, task.start))
        return BatchFileResult(None, records, outside, str(exc), exc.line_number)
    if notes and task.start:
        notes = notes.renumbered(_lines_before(task.source_path, task.start))
    return BatchFileResult(task.url, records, outside, notes=notes if notes else None)


def _lines_before(path: str, offset: int) -> int:
    """Lines in the first ``offset`` bytes of the file: counted only to name a bad line."""
    with open(path, "rb") as source:
        return sum(block.lines for block in iter_fragment_blocks(source, offset))


def batch_processes() -> int:
    """How many parts of fragments are normalised at once: one per CPU, at most four."""
    return max(1, min(4, os.cpu_count() or 1))


def worker_start_method() -> str:
    """``fork`` if this process has no other thread and the platform can fork, else ``spawn``.

    With no other thread, no lock can be held mid-operation in the copy a fork makes.
    """
    forkable = "fork" in multiprocessing.get_all_start_methods()
    return "fork" if forkable and threading.active_count() == 1 else "spawn"


@contextlib.contextmanager
def batch_executor(workers: int, start_method: str) -> Iterator[Executor]:
    """``workers`` processes started by ``start_method`` or, for one worker, a thread.

    Forked workers (see ``worker_start_method``) start at once, sharing every module already
    imported; spawned ones each pay for a fresh interpreter and its imports (0.3 s here).
    """
    if workers == 1:
        with ThreadPoolExecutor(1, thread_name_prefix="peopleai-batch") as threads:
            yield threads
        return
    if start_method == "fork":
        # A forked worker flushes the standard streams it inherited when it exits.
        sys.stdout.flush()
        sys.stderr.flush()
    context = multiprocessing.get_context(start_method)
    with ProcessPoolExecutor(workers, mp_context=context) as processes:
        # Start every worker now, while the first job is still being exported.
        for _ in range(workers):
            processes.submit(os.getpid)
        yield processes
