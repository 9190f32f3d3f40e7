"""Rendering a job's result to fragment files (one record per line, orjson).

Rendering stays in the job's thread: worker processes were tried and dropped, because "spawn"
re-imports the caller's main module (running an unguarded script twice) and, on the shared 2-core
machines this runs on, they were slower, not faster."""

from __future__ import annotations

import threading
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

# One export line (without its line ending) of (activity index, version).
RecordLine = Callable[[int, int], bytes]


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
    record_line: RecordLine,
    indexes: Iterable[int],
    versions: Iterable[int],
    path: Path,
    crlf: bool,
    abandoned: threading.Event | None = None,
) -> Fragment:
    """Write one fragment file; with ``crlf`` (line noise) add CRLF endings and blank lines."""
    ending = b"\r\n" if crlf else b"\n"
    starts: array[int] = array("q")
    ends: array[int] = array("q")
    buffer = bytearray()
    position = 0
    with path.open("wb") as handle:
        for index, version in zip(indexes, versions, strict=True):
            line = record_line(index, version)
            starts.append(position)
            buffer += line
            position += len(line)
            ends.append(position)
            buffer += ending
            position += len(ending)
            if crlf and len(starts) > 5 and len(starts) % 97 == 0:
                # line noise: blank lines between records, none before line 6 so that the
                # persistent bad line (a fault) stays line 3
                buffer += ending
                position += len(ending)
            if len(buffer) >= 1 << 20:
                handle.write(buffer)
                buffer.clear()
                if abandoned is not None and abandoned.is_set():
                    break
        if crlf:
            buffer += ending  # line noise: a blank line at the end of every file
            position += len(ending)
        handle.write(buffer)
    return Fragment(path, position, starts, ends)


def render_fragments(
    record_line: RecordLine,
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
    fragments = []
    for offset in range(0, total, per_fragment):
        if abandoned.is_set():
            break
        path = fragment_path(directory, offset // per_fragment)
        fragments.append(
            write_fragment(
                record_line,
                indexes[offset : offset + per_fragment],
                versions[offset : offset + per_fragment],
                path,
                crlf,
                abandoned,
            )
        )
    return fragments, total
