"""Where batch files are: local paths DuckDB opens itself, other fsspec URLs through fsspec."""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote, urlsplit

import fsspec

from target_duckdb_bulk.errors import LoaderError


class BatchFiles:
    """Turns manifest URLs into what `read_json` reads, and removes files once loaded."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self._registered: set[str] = set()

    @staticmethod
    def local_path(url: str) -> str | None:
        """The local path of a `file://` URL or a plain path; None for any other protocol."""
        parts = urlsplit(url)
        if parts.scheme == "file":
            return unquote(parts.path)
        if not parts.scheme or len(parts.scheme) == 1:  # a plain path (or a Windows drive)
            return url
        return None

    def readable(self, url: str) -> str:
        """What DuckDB's `read_json` is given for URL: a local path, or the URL itself once
        fsspec's filesystem for its protocol is registered with the connection."""
        path = self.local_path(url)
        if path is not None:
            if not os.path.isfile(path):
                raise LoaderError(f"batch file {url} does not exist (or is not a file)")
            return path
        protocol = urlsplit(url).scheme
        if protocol not in self._registered:
            try:
                filesystem = fsspec.filesystem(protocol)
            except (ImportError, ValueError) as exc:
                raise LoaderError(
                    f"batch file {url}: no fsspec filesystem for {protocol}:// ({exc}); "
                    "install the package that provides it beside the loader"
                ) from None
            self.connection.register_filesystem(filesystem)
            self._registered.add(protocol)
        return url

    def remove(self, url: str) -> None:
        """Delete a loaded batch file."""
        path = self.local_path(url)
        if path is not None:
            os.remove(path)
            return
        filesystem, inner = fsspec.core.url_to_fs(url)
        filesystem.rm(inner)


def _open_lines(url: str) -> Iterator[bytes]:
    with fsspec.open(url, "rb") as raw:
        head = raw.read(2)
        raw.seek(0)
        if head == b"\x1f\x8b":
            with gzip.GzipFile(fileobj=raw) as unzipped:
                yield from unzipped
        else:
            yield from raw


def first_bad_line(url: str) -> str | None:
    """'line N: why' for the first line of a batch file that is not a JSON object, if any.

    Read on the error path only, to name the line DuckDB's message does not name exactly.
    """
    try:
        for number, line in enumerate(_open_lines(url), start=1):
            if not line.strip():
                continue
            try:
                parsed = json.loads(line)
            except ValueError as exc:
                return f"line {number}: not valid JSON ({exc})"
            if not isinstance(parsed, dict):
                return f"line {number}: not a JSON object"
    except (OSError, EOFError) as exc:
        return f"unreadable ({exc})"
    return None
