"""BATCH mode: each fragment normalised into one JSON Lines file in any fsspec location.

Runs in worker processes, so everything crossing the process boundary is a plain dataclass.
A line that is already normalised is written as it came, without being serialised again.
"""

from __future__ import annotations

import contextlib
import gzip
import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import IO, Any

import orjson
from singer_sdk.helpers._batch import StorageTarget

from tap_peopleai.errors import FragmentDataError
from tap_peopleai.records import iter_fragment_lines, parse_activity, within_dates

LINES_PER_WRITE = 2000
GZIP_LEVEL = 1  # the files are read once by a loader; speed matters more than size


@dataclass(frozen=True)
class BatchFileTask:
    """One fragment to turn into a batch file."""

    source_path: str
    storage: dict[str, Any]
    filename: str
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
    """Normalise the fragment at ``task.source_path`` into ``task.filename`` under the storage."""
    storage = StorageTarget.from_dict(task.storage)
    records = outside = 0
    try:
        with open(task.source_path, "rb") as source, storage.open(task.filename, "wb") as raw:
            sink: IO[bytes] | gzip.GzipFile = raw
            if task.gzip:
                sink = gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=GZIP_LEVEL)
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
    return BatchFileResult(storage.get_url(task.filename), records, outside)


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
        yield processes
