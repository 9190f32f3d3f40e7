"""The sink: the base loader's, with BATCH files loaded by COPY and one set-based upsert."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
import sqlalchemy
from singer_sdk.helpers._batch import BaseBatchFileEncoding
from target_postgres.sinks import PostgresSink

from target_postgres_bulk import staging
from target_postgres_bulk.batch_files import BatchFile, batch_files, remove_all
from target_postgres_bulk.errors import BulkLoadError

# Where PostgreSQL's error context of a failed COPY names the line ("COPY t, line 3, ...").
_COPY_LINE = re.compile(r"\bCOPY [^,]+, line (\d+)")


def _has_key_index(table: sqlalchemy.Table, keys: Sequence[str]) -> bool:
    """Does ``table`` hold a primary key or unique index on exactly the ``keys`` columns?"""
    wanted = set(keys)
    if {column.name for column in table.primary_key.columns} == wanted:
        return True
    indexes = (index for index in table.indexes if index.unique)
    return any({column.name for column in index.columns} == wanted for index in indexes)


class StagedLines:
    """Which file each staging line came from: staging numbers lines 1, 2, ... across files."""

    def __init__(self) -> None:
        self.count = 0
        self._files: list[tuple[int, BatchFile]] = []  # (first staging line, file)

    def add(self, source: BatchFile, lines: int) -> None:
        self._files.append((self.count + 1, source))
        self.count += lines

    def where(self, line: int, problem: str) -> str:
        """``problem`` at staging line ``line``, said as file and line number in it."""
        first, source = max((f for f in self._files if f[0] <= line), key=lambda f: f[0])
        return f"batch file {source.url}, line {line - first + 1}: {problem}"


@dataclass
class StagedBatch:
    """A BATCH message's lines in staging, in their own open transaction, not yet written."""

    connection: sqlalchemy.engine.Connection
    transaction: sqlalchemy.engine.Transaction
    closer: contextlib.ExitStack
    plan: staging.UpsertPlan
    lines: StagedLines
    sources: list[BatchFile]


class BulkPostgresSink(PostgresSink):
    """PostgresSink whose BATCH files go through COPY into staging and one upsert."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._bulk_table: sqlalchemy.Table | None = None

    def process_batch_files(self, encoding: BaseBatchFileEncoding, files: Sequence[str]) -> None:
        """Load a BATCH message's files in one transaction, then remove them."""
        self.write(self.stage(encoding, files))

    def stage(self, encoding: BaseBatchFileEncoding, files: Sequence[str]) -> StagedBatch:
        """COPY the files' lines into staging, in a transaction left open for ``write``."""
        received = dt.datetime.now(dt.timezone.utc)
        storage = self.batch_config.storage if self.batch_config else None
        sources = batch_files(encoding, list(files), storage)
        table = self._prepared_table()
        closer = contextlib.ExitStack()
        try:
            # Closing the connection with its transaction open rolls the transaction back.
            connection = closer.enter_context(self.connector._connect())
            transaction = connection.begin()
            plan = self.upsert_plan(table, connection.dialect, received)
            cursor = connection.connection.cursor()
            cursor.execute(staging.CREATE_STAGING)
            lines = StagedLines()
            for source in sources:
                lines.add(source, self._copy_file(cursor, source))
        except BaseException:
            closer.close()
            raise
        return StagedBatch(connection, transaction, closer, plan, lines, sources)

    def write(self, batch: StagedBatch) -> None:
        """Upsert the staged lines and commit; then remove the files unless they are kept."""
        with batch.closer:
            self._write(batch.connection.connection.cursor(), batch.plan, batch.lines)
            batch.transaction.commit()
        self.record_counter_metric.increment(batch.lines.count)
        if not self.config.get("keep_batch_files", False):
            remove_all(batch.sources, self.logger.warning)

    def _prepared_table(self) -> sqlalchemy.Table:
        """The target table, created or widened for this sink's schema once (a new SCHEMA
        message makes a new sink): reflecting it for every batch would cost more than some
        batches take to load. Committed at once, so that other sessions staging the next
        batches see the table's row type."""
        if self._bulk_table is None:
            with self.connector._connect() as connection, connection.begin():
                self._bulk_table = self.connector.prepare_table(
                    full_table_name=self.full_table_name,
                    schema=self.schema,
                    primary_keys=self.key_properties,
                    as_temp_table=False,
                    connection=connection,
                )
        return self._bulk_table

    def upsert_plan(
        self, table: sqlalchemy.Table, dialect: Any, received: dt.datetime
    ) -> staging.UpsertPlan:
        """How this stream's lines are written into ``table`` (the stream's properties)."""
        columns = list(self.schema["properties"])
        stamps: dict[str, str] = {}
        if self.include_sdc_metadata_properties:
            # What the base loader's RECORD path stamps on every row; BATCH files carry no
            # message around each record, so its time of arrival stands for the extraction.
            now = dt.datetime.now(dt.timezone.utc)
            loaded_ms = str(round(now.timestamp() * 1000))
            stamps = {
                "_sdc_extracted_at": staging.quote_literal(received.isoformat()),
                "_sdc_received_at": staging.quote_literal(received.isoformat()),
                "_sdc_batched_at": staging.quote_literal(now.isoformat()),
                "_sdc_sequence": loaded_ms,
                "_sdc_sync_started_at": str(int(self.sync_started_at)),
                # Nor a version: the time of loading, in the milliseconds Singer versions are
                # counted in. An ACTIVATE_VERSION from a sync that started earlier keeps these
                # rows (they are newer than it); one that started later deletes them unless it
                # delivered them again. A NULL version would be deleted by every one.
                "_sdc_table_version": loaded_ms,
            }
        keys = list(self.key_properties)
        return staging.UpsertPlan(
            schema=table.schema or "public",
            table=table.name,
            columns=columns,
            key_types={key: table.columns[key].type.compile(dialect=dialect) for key in keys},
            stamps={column: value for column, value in stamps.items() if column in columns},
            on_conflict=_has_key_index(table, keys),
        )

    def _write(self, cursor: Any, plan: staging.UpsertPlan, lines: StagedLines) -> None:
        """Run the plan, deduplicated if the batch holds a key twice; a bad line is named."""
        if plan.key_types and not plan.on_conflict:
            # Without a key index, a line lacking its key would not fail on its own.
            self._check_lines(cursor, plan, lines)
        for deduplicate in (False, True):
            cursor.execute("savepoint target_postgres_bulk")
            try:
                for statement in plan.statements(deduplicate=deduplicate):
                    cursor.execute(statement)
            except psycopg.errors.CardinalityViolation:
                cursor.execute("rollback to savepoint target_postgres_bulk")
                continue
            except (psycopg.errors.DataError, psycopg.errors.IntegrityError) as exc:
                cursor.execute("rollback to savepoint target_postgres_bulk")
                self._check_lines(cursor, plan, lines)
                self._probe_lines(cursor, plan, lines)
                msg = f"stream {self.stream_name!r}: the batch could not be written ({exc})"
                raise BulkLoadError(msg) from None
            return

    @staticmethod
    def _check_lines(cursor: Any, plan: staging.UpsertPlan, lines: StagedLines) -> None:
        """BulkLoadError naming the first line that is not an object or lacks its key."""
        bad = cursor.execute(plan.bad_line()).fetchone()
        if bad is not None:
            raise BulkLoadError(lines.where(bad[0], f"the line {bad[1]}"))

    @staticmethod
    def _probe_lines(cursor: Any, plan: staging.UpsertPlan, lines: StagedLines) -> None:
        """BulkLoadError naming the first line with a value its column cannot take."""
        try:
            cursor.execute(plan.find_untypable_line())
        except psycopg.errors.RaiseException as found:
            text = found.diag.message_primary or ""
            line, _, reason = text.removeprefix(f"{staging.PROBE_FAILED} ").partition(": ")
            problem = f"the line has a value that does not fit its column ({reason})"
            raise BulkLoadError(lines.where(int(line), problem)) from None

    @staticmethod
    def _copy_file(cursor: Any, source: BatchFile) -> int:
        """COPY the file's lines into staging; how many (blank ones included)."""
        try:
            with cursor.copy(staging.COPY_LINES) as copy:
                for chunk in source.chunks():
                    copy.write(chunk)
        except psycopg.errors.DataError as exc:
            where = _COPY_LINE.search(exc.diag.context or "")
            line = f"line {where.group(1)}" if where else "a line"
            detail = exc.diag.message_detail or ""
            msg = (
                f"batch file {source.url}, {line}: not a JSON document "
                f"({exc.diag.message_primary}{'; ' + detail if detail else ''})"
            )
            raise BulkLoadError(msg) from None
        return int(cursor.rowcount)
