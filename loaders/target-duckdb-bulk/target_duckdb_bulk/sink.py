"""The sink of one stream: RECORD messages spooled to JSON Lines, every batch loaded by DuckDB."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import tempfile
import weakref
from collections.abc import Sequence
from decimal import Decimal
from typing import IO, TYPE_CHECKING, Any

import duckdb
import orjson
from singer_sdk.sinks import BatchSink

from target_duckdb_bulk.columns import table_columns
from target_duckdb_bulk.errors import LoaderError, first_line
from target_duckdb_bulk.files import first_bad_line
from target_duckdb_bulk.table import LoadStamp, Table

if TYPE_CHECKING:
    from singer_sdk.helpers._batch import BaseBatchFileEncoding

    from target_duckdb_bulk.target import TargetDuckDBBulk


def _json_default(value: Any) -> Any:
    # The SDK parses JSON numbers with a fraction as Decimal; the column is DOUBLE or JSON.
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _discard(spool: IO[bytes], path: str) -> None:
    spool.close()
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)


def _out_of_memory(exc: duckdb.Error) -> bool:
    # DuckDB reports memory_limit reached during a commit as a TransactionException.
    return isinstance(exc, duckdb.OutOfMemoryException) or "failed to allocate" in str(exc)


def _listed(urls: Sequence[str]) -> str:
    return ", ".join(urls[:3]) + (" …" if len(urls) > 3 else "")


def _epoch_us(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


class DuckDBSink(BatchSink):
    """Loads a stream into ``default_target_schema``.``<stream name>``."""

    MAX_SIZE_DEFAULT = 100_000

    def __init__(
        self,
        target: TargetDuckDBBulk,
        stream_name: str,
        schema: dict[str, Any],
        key_properties: Sequence[str] | None,
    ) -> None:
        # The target owns the connection, the settings and the batch file locations.
        self.target = target
        super().__init__(target, stream_name, schema, key_properties)

    def setup(self) -> None:
        """Create or widen the table for this sink's schema."""
        self.table = Table(self.target.connection, self.target.settings.schema, self.stream_name)
        self.columns = table_columns(self.schema)
        if not self.columns:
            raise LoaderError(f"stream {self.stream_name}: its SCHEMA declares no properties")
        try:
            changes = self.table.prepare(self.columns)
        except duckdb.Error as exc:
            raise LoaderError(
                f"stream {self.stream_name}: cannot prepare table {self.table.qualified}: "
                f"{first_line(str(exc))}"
            ) from None
        for change in changes:
            self.logger.info("%s: %s", self.stream_name, change)
        if self.config.get("load_method") == "overwrite":
            self.target.overwrite_once(self.table)
        self._spool: IO[bytes] | None = None
        self._spool_path = ""

    # RECORD messages --------------------------------------------------------------------

    def _add_sdc_metadata_to_record(
        self, record: dict[str, Any], message: dict[str, Any], context: dict[str, Any]
    ) -> None:
        # What only the message knows; the rest (_sdc_batched_at, …) the load fills in SQL.
        record["_sdc_extracted_at"] = message.get("time_extracted")
        record["_sdc_table_version"] = message.get("version")
        record.setdefault("_sdc_deleted_at", None)

    def start_batch(self, context: dict[str, Any]) -> None:
        """A new spool file for the records of this batch."""
        handle, self._spool_path = tempfile.mkstemp(
            prefix=f"{self.stream_name}-", suffix=".jsonl", dir=self.target.spool_dir
        )
        self._spool = os.fdopen(handle, "wb", buffering=1 << 20)
        # Closed and removed even when a failure elsewhere abandons this sink.
        weakref.finalize(self, _discard, self._spool, self._spool_path)

    def process_record(self, record: dict[str, Any], context: dict[str, Any]) -> None:
        """Append the record to the spool file: no row goes through SQL on its own."""
        assert self._spool is not None, "start_batch opens the spool first"
        self._spool.write(
            orjson.dumps(record, default=_json_default, option=orjson.OPT_APPEND_NEWLINE)
        )

    def process_batch(self, context: dict[str, Any]) -> None:
        """Load the spool file with one read_json, then remove it."""
        if self._spool is None:
            return
        self._spool.close()
        self._spool = None
        try:
            self._load([self._spool_path], [self._spool_path], context["batch_start_time"])
        finally:
            os.remove(self._spool_path)

    def load_pending(self) -> None:
        """Load the records spooled so far, so that what follows them comes after them."""
        if self.current_size:
            self.process_batch(self.start_drain())
            self.mark_drained()

    # BATCH messages ---------------------------------------------------------------------

    def process_batch_files(self, encoding: BaseBatchFileEncoding, files: Sequence[str]) -> None:
        """Load a BATCH message's files with one read_json, then remove them (unless kept)."""
        if encoding.format != "jsonl":
            raise LoaderError(
                f"stream {self.stream_name}: BATCH format {encoding.format} is not supported; "
                "send JSON Lines (batch_config.encoding.format: jsonl), gzip or not"
            )
        if not files:
            return
        self.load_pending()
        batch_files = self.target.batch_files
        readable = [batch_files.readable(url) for url in files]
        count = self._load(readable, list(files), dt.datetime.now(dt.timezone.utc))
        self.record_counter_metric.increment(count)
        self.tally_record_written(count)
        if not self.target.settings.keep_batch_files:
            for url in files:
                batch_files.remove(url)

    # Both -------------------------------------------------------------------------------

    def _load(self, readable: list[str], urls: list[str], started: dt.datetime) -> int:
        stamp = LoadStamp(_epoch_us(started), int(self.sync_started_at))
        try:
            count = self.table.load(
                readable,
                self.columns,
                self.key_properties,
                stamp,
                append_only=self.config.get("load_method") == "append-only",
            )
        except duckdb.Error as exc:
            raise self._explain(exc, readable, urls) from None
        self.target.after_commit()
        return count

    def _explain(self, exc: duckdb.Error, readable: list[str], urls: list[str]) -> LoaderError:
        """One line naming the file and line at fault, when a file is."""
        if _out_of_memory(exc):
            return LoaderError(
                f"stream {self.stream_name}: loading {_listed(urls)} needs more memory than "
                f"memory_limit ({self.target.settings.memory_limit}) allows: raise the setting "
                f"memory_limit ({first_line(str(exc))})"
            )
        for path, url in zip(readable, urls, strict=True):
            if path in str(exc) or len(urls) == 1:
                bad = first_bad_line(url)
                if bad:
                    return LoaderError(f"stream {self.stream_name}: batch file {url}, {bad}")
        return LoaderError(
            f"stream {self.stream_name}: loading {_listed(urls)} failed: {first_line(str(exc))}"
        )

    def activate_version(self, new_version: int) -> None:
        """Soft-delete (or delete, with hard_delete) the rows of older versions."""
        self.load_pending()
        if not self.table.columns():
            return
        hard = bool(self.config.get("hard_delete", False))
        count = self.table.activate_version(new_version, hard_delete=hard)
        self.target.after_commit()
        self.logger.info(
            "%s: version %d activated, %d older rows %s",
            self.stream_name,
            new_version,
            count,
            "deleted" if hard else "marked in _sdc_deleted_at",
        )

    def clean_up(self) -> None:
        """Remove a spool file left by a failed load."""
        if self._spool is not None:
            self._spool.close()
            self._spool = None
        if self._spool_path and os.path.exists(self._spool_path):
            os.remove(self._spool_path)
        super().clean_up()
