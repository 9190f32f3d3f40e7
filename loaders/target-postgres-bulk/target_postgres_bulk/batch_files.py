"""Reading the files of a BATCH message through fsspec, as bytes, and removing them once loaded."""

from __future__ import annotations

import contextlib
import gzip
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import fsspec
from singer_sdk.helpers._batch import BaseBatchFileEncoding, BatchFileFormat, StorageTarget

from target_postgres_bulk.errors import BulkLoadError

CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class BatchFile:
    """One file of a BATCH message: its URL as the message gave it, and where to read it."""

    url: str
    fs: Any  # fsspec.AbstractFileSystem
    path: str
    gzip: bool

    def chunks(self) -> Iterator[bytes]:
        """The file's content, decompressed, in chunks; BulkLoadError if it cannot be read."""
        try:
            with contextlib.ExitStack() as stack:
                stream: Any = stack.enter_context(self.fs.open(self.path, "rb"))
                if self.gzip:
                    stream = stack.enter_context(gzip.open(stream))
                while chunk := stream.read(CHUNK_BYTES):
                    yield chunk
        except (OSError, EOFError, zlib.error) as exc:
            msg = f"batch file {self.url} could not be read: {exc}"
            raise BulkLoadError(msg) from exc

    def remove(self) -> str | None:
        """Delete the file; the reason if it could not be."""
        try:
            self.fs.rm(self.path)
        except OSError as exc:
            return str(exc) or type(exc).__name__
        return None


def batch_files(
    encoding: BaseBatchFileEncoding, urls: list[str], storage: StorageTarget | None
) -> list[BatchFile]:
    """The files of a BATCH message, resolved as the SDK resolves them.

    As in the SDK's own batch reader, a ``batch_config.storage`` in the loader's settings
    replaces the location of each file (its name is kept); otherwise each URL is read as given.
    """
    if encoding.format != BatchFileFormat.JSONL:
        msg = (
            f"BATCH encoding format {encoding.format!r} is not supported: set the tap's "
            'batch_config.encoding.format to "jsonl"'
        )
        raise BulkLoadError(msg)
    if encoding.compression not in {None, "none", "gzip"}:
        msg = (
            f"BATCH compression {encoding.compression!r} is not supported: use gzip or none "
            "(batch_config.encoding.compression)"
        )
        raise BulkLoadError(msg)
    files = []
    for url in urls:
        location = url
        params: dict[str, Any] = {}
        if storage is not None:
            location = storage.get_url(StorageTarget.split_url(url)[1])
            params = dict(storage.params)
        try:
            fs, path = fsspec.core.url_to_fs(location, **params)
        except (ValueError, ImportError) as exc:
            msg = f"batch file {url} cannot be opened: {exc}"
            raise BulkLoadError(msg) from exc
        files.append(BatchFile(url, fs, path, encoding.compression == "gzip"))
    return files


def remove_all(files: list[BatchFile], warn: Any) -> None:
    """Remove loaded files; a file that cannot be removed is a warning, not a failure."""
    for file in files:
        reason = file.remove()
        if reason:
            warn("Loaded batch file %s could not be removed: %s", file.url, reason)
