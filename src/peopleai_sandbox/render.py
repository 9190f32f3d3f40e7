"""Rendering a job's result to fragment files: in the calling thread, or for big exports in worker
processes (record generation is pure Python and CPU-bound; one process per core renders a
gigabyte about as many times faster)."""

from __future__ import annotations

import multiprocessing
import os
import threading
from array import array
from collections.abc import Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from .data import ActivityUniverse

# Below this many records, starting worker processes costs more than it saves.
PARALLEL_MIN_RECORDS = 60_000
MAX_WORKERS = 4


@dataclass
class Fragment:
    """One rendered fragment file and where each record line lies in it."""

    path: Path
    size: int
    line_starts: array[int]
    line_ends: array[int]


def fragment_path(directory: Path, number: int) -> Path:
    """Where fragment ``number`` of a job lives."""
    return directory / f"fragment-{number:05d}.jsonl"


def write_fragment(
    universe: ActivityUniverse,
    indexes: Iterable[int],
    versions: Iterable[int],
    path: Path,
    crlf: bool,
) -> Fragment:
    """Write one fragment file; with ``crlf`` (line noise) add CRLF endings and blank lines."""
    ending = b"\r\n" if crlf else b"\n"
    starts: array[int] = array("q")
    ends: array[int] = array("q")
    buffer = bytearray()
    position = 0
    with path.open("wb") as handle:
        for index, version in zip(indexes, versions, strict=True):
            line = universe.record_json(index, version)
            starts.append(position)
            buffer += line
            position += len(line)
            ends.append(position)
            buffer += ending
            position += len(ending)
            if crlf and len(starts) > 5 and len(starts) % 97 == 0:
                # line noise: blank lines between records, never before line 6
                buffer += ending
                position += len(ending)
            if len(buffer) >= 1 << 20:
                handle.write(buffer)
                buffer.clear()
        if crlf:
            buffer += ending  # line noise: a blank line at the end of every file
            position += len(ending)
        handle.write(buffer)
    return Fragment(path, position, starts, ends)


def _render_task(
    universe: ActivityUniverse,
    indexes: array[int],
    versions: array[int],
    first_number: int,
    per_fragment: int,
    directory: str,
    crlf: bool,
) -> list[tuple[str, int, bytes, bytes]]:
    """Worker-process task: write consecutive fragments; return them in a picklable form."""
    written = []
    for offset in range(0, len(indexes), per_fragment):
        path = fragment_path(Path(directory), first_number + offset // per_fragment)
        fragment = write_fragment(
            universe,
            indexes[offset : offset + per_fragment],
            versions[offset : offset + per_fragment],
            path,
            crlf,
        )
        written.append(
            (str(path), fragment.size, fragment.line_starts.tobytes(), fragment.line_ends.tobytes())
        )
    return written


def render_fragments(
    universe: ActivityUniverse,
    selection: Iterable[tuple[int, int]],
    directory: Path,
    per_fragment: int,
    crlf: bool,
    abandoned: threading.Event,
) -> tuple[list[Fragment], int]:
    """Render a selection into fragment files; return the fragments and the record count.

    The selection is first gathered as two integer arrays (16 bytes a record), never as records.
    """
    indexes: array[int] = array("q")
    versions: array[int] = array("q")
    for index, version in selection:
        indexes.append(index)
        versions.append(version)
        if len(indexes) % 10_000 == 0 and abandoned.is_set():
            return [], 0
    total = len(indexes)
    workers = min(MAX_WORKERS, os.cpu_count() or 1)
    if total >= PARALLEL_MIN_RECORDS and workers > 1 and total > per_fragment:
        return _render_in_processes(
            universe, indexes, versions, directory, per_fragment, crlf, abandoned, workers
        ), total
    fragments = []
    for offset in range(0, total, per_fragment):
        if abandoned.is_set():
            break
        path = fragment_path(directory, offset // per_fragment)
        fragments.append(
            write_fragment(
                universe,
                indexes[offset : offset + per_fragment],
                versions[offset : offset + per_fragment],
                path,
                crlf,
            )
        )
    return fragments, total


def _render_in_processes(
    universe: ActivityUniverse,
    indexes: array[int],
    versions: array[int],
    directory: Path,
    per_fragment: int,
    crlf: bool,
    abandoned: threading.Event,
    workers: int,
) -> list[Fragment]:
    total = len(indexes)
    fragment_count = -(-total // per_fragment)
    # a few tasks per worker keep both busy to the end without a task per small fragment
    per_task = max(1, -(-fragment_count // (workers * 4))) * per_fragment
    # spawn, not fork: the sandbox process has server threads, and forking them is unsafe
    context = multiprocessing.get_context("spawn")
    results: dict[int, list[tuple[str, int, bytes, bytes]]] = {}
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as executor:
        pending: dict[Future[list[tuple[str, int, bytes, bytes]]], int] = {}
        for offset in range(0, total, per_task):
            future = executor.submit(
                _render_task,
                universe,
                indexes[offset : offset + per_task],
                versions[offset : offset + per_task],
                offset // per_fragment,
                per_fragment,
                str(directory),
                crlf,
            )
            pending[future] = offset
        while pending:
            done, _ = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            for future in done:
                results[pending.pop(future)] = future.result()
            if abandoned.is_set():
                for future in pending:
                    future.cancel()
                executor.shutdown(wait=True, cancel_futures=True)
                return []
    fragments = []
    for offset in sorted(results):
        for path, size, starts_bytes, ends_bytes in results[offset]:
            starts: array[int] = array("q")
            starts.frombytes(starts_bytes)
            ends: array[int] = array("q")
            ends.frombytes(ends_bytes)
            fragments.append(Fragment(Path(path), size, starts, ends))
    return fragments
