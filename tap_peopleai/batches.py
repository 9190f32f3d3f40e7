"""BATCH mode: each fragment normalised into JSON Lines files, one per part, in any fsspec location.

Runs in worker processes, so everything crossing the process boundary is a plain dataclass.
Blocks of lines that are already clean are validated without building a record for each line
and written as they came (``normalize_block``); every other line goes through the same
``parse_activity`` as RECORD mode. Compression uses ISA-L (``isal``): with zlib, gzip alone
would cost more than all the rest. RECORD mode never imports this module.
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
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
from tap_peopleai.records import (
    Block,
    already_normalized,
    iter_block_lines,
    iter_fragment_blocks,
    parse_activity,
    within_dates,
    within_day,
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

    def is_normalized(self) -> bool:
        """Whether ``normalize_activity`` would leave the record as it is."""
        for value in (self.timestamp, self.ingest_timestamp, self.start_time, self.end_time):
            if not already_normalized(value):
                return False
        status = self.crm_status
        if status is not None and not already_normalized(status.push_time):
            return False
        experimental = self.experimental
        if experimental is not None and (match := experimental.internal_match_status) is not None:
            return already_normalized(match.push_time)
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


def normalize_block(
    block: Block, where: str, first: str, last: str | None
) -> tuple[bytes, int, int]:
    """Normalised JSON Lines of the activities in ``block`` dated within ``first..last``.

    Returns the lines, how many there are, and how many were left out for their date. Lines
    that are already normalized are passed on as they came; raises FragmentDataError as
    ``parse_activity`` does.
    """
    times = read_block_times(block)
    if times is not None and _all_normalized_within(times, first, last):
        return block.data, block.lines, 0
    kept: list[bytes] = []
    outside = 0
    for index, (number, line) in enumerate(iter_block_lines(block)):
        if times is not None and times[index].is_normalized():
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


def _all_normalized_within(times: list[ActivityTimes], first: str, last: str | None) -> bool:
    return all(
        times_of_line.is_normalized() and within_day(times_of_line.timestamp, first, last)
        for times_of_line in times
    )


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
    """The written file, or the line that stopped it."""

    url: str | None
    records: int
    outside_dates: int
    error: str | None = None
    bad_line: int | None = None


def write_batch_file(task: BatchFileTask) -> BatchFileResult:
    """Normalise the part of the fragment at ``task.source_path`` into the file at ``task.url``."""
    # fsspec rather than the SDK's StorageTarget: importing the SDK would double the time a
    # worker process takes to start.
    filesystem, path = fsspec.core.url_to_fs(task.url, **task.storage_params)
    filesystem.makedirs(posixpath.dirname(path), exist_ok=True)
    records = outside = 0
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
                    block, task.where, task.first_date, task.last_date
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
    return BatchFileResult(task.url, records, outside)


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
