"""BATCH mode: each fragment normalised into one JSON Lines file in any fsspec location.

Runs in worker processes, so everything crossing the process boundary is a plain dataclass.
A line that is already normalised is written as it came, without being serialised again, and
compression uses ISA-L (``isal``): with zlib, gzip alone would cost as much as parsing.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import posixpath
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import IO, Any

import fsspec
import orjson
from isal import igzip

from tap_peopleai.errors import FragmentDataError
from tap_peopleai.records import iter_fragment_lines, parse_activity, within_dates

LINES_PER_WRITE = 2000
# ISA-L's gzip at level 1 compresses about four times as fast as zlib's fastest level, and the
# files are read once by a loader: speed matters more than size.
GZIP_LEVEL = 1


@dataclass(frozen=True)
class BatchFileTask:
    """One fragment to turn into a batch file."""

    source_path: str
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
    """Normalise the fragment at ``task.source_path`` into the file at ``task.url``."""
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
            lines: list[bytes] = []
            for number, line in iter_fragment_lines(source):
                record, changed = parse_activity(line, number, task.where)
                if not within_dates(record, task.first_date, task.last_date):
                    outside += 1
                    continue
                lines.append(orjson.dumps(record) if changed else line)
                records += 1
                if len(lines) >= LINES_PER_WRITE:
                    sink.write(b"\n".join(lines) + b"\n")
                    lines.clear()
            if lines:
                sink.write(b"\n".join(lines) + b"\n")
            if sink is not raw:
                sink.close()
    except FragmentDataError as exc:
        return BatchFileResult(None, records, outside, str(exc), exc.line_number)
    return BatchFileResult(task.url, records, outside)


def batch_processes() -> int:
    """How many fragments are normalised at once: one per CPU, at most four."""
    return max(1, min(4, os.cpu_count() or 1))


@contextlib.contextmanager
def batch_executor(workers: int) -> Iterator[Executor]:
    """Worker processes (spawned: the tap has threads running) or, on one CPU, one thread."""
    if workers == 1:
        with ThreadPoolExecutor(1, thread_name_prefix="peopleai-batch") as threads:
            yield threads
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context) as processes:
        # Start every worker now, while the first job is still being exported.
        for _ in range(workers):
            processes.submit(os.getpid)
        yield processes
