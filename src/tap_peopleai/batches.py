"""BATCH mode: each fragment normalised into JSON Lines files, one per part, in any fsspec location.

Runs in worker processes, so everything crossing the process boundary is a plain dataclass.
Blocks of lines that are already normalised are written as they came, without being parsed
into records or serialised again (``records.normalise_block``), and compression uses ISA-L
(``isal``): with zlib, gzip alone would cost more than all the rest.
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import os
import posixpath
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import IO, Any

import fsspec
from isal import igzip

from tap_peopleai.errors import FragmentDataError
from tap_peopleai.records import BLOCK_BYTES, iter_fragment_blocks, normalise_block

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
                lines, kept, left_out = normalise_block(
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
    lines = 0
    with open(path, "rb") as source:
        while offset > 0 and (data := source.read(min(offset, BLOCK_BYTES))):
            lines += data.count(b"\n")
            offset -= len(data)
    return lines


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
