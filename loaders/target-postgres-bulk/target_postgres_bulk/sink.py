"""The sink: the base loader's, with BATCH files loaded by COPY and one set-based upsert."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Sequence
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


class BulkPostgresSink(PostgresSink):
    """PostgresSink whose BATCH files go through COPY into staging and one upsert."""

    def process_batch_files(self, encoding: BaseBatchFileEncoding, files: Sequence[str]) -> None:
        """Load a BATCH message's files in one transaction, then remove them."""
        received = dt.datetime.now(dt.timezone.utc)
        storage = self.batch_config.storage if self.batch_config else None
        sources = batch_files(encoding, list(files), storage)
        with self.connector._connect() as connection, connection.begin():
            table = self.connector.prepare_table(
                full_table_name=self.full_table_name,
                schema=self.schema,
                primary_keys=self.key_properties,
                as_temp_table=False,
                connection=connection,
            )
            plan = self.upsert_plan(table, connection.dialect, received)
            cursor = connection.connection.cursor()
            cursor.execute(staging.CREATE_STAGING)
            first_lines = [self._copy_file(cursor, source) for source in sources]
            bad = cursor.execute(plan.bad_line()).fetchone()
            if bad is not None:
                raise BulkLoadError(self._at_line(sources, first_lines, bad[0], bad[1]))
            self._write(cursor, plan, sources, first_lines)
            lines = cursor.execute(staging.LAST_LINE).fetchone()
        self.record_counter_metric.increment(lines[0] if lines else 0)
        if not self.config.get("keep_batch_files", False):
            remove_all(sources, self.logger.warning)

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
            stamps = {
                "_sdc_extracted_at": staging.quote_literal(received.isoformat()),
                "_sdc_received_at": staging.quote_literal(received.isoformat()),
                "_sdc_batched_at": staging.quote_literal(now.isoformat()),
                "_sdc_sequence": str(round(time.time() * 1000)),
                "_sdc_sync_started_at": str(int(self.sync_started_at)),
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

    def _write(
        self,
        cursor: Any,
        plan: staging.UpsertPlan,
        sources: list[BatchFile],
        first_lines: list[int],
    ) -> None:
        """Run the plan's statements; a value that does not fit its column names its line."""
        cursor.execute("savepoint target_postgres_bulk")
        try:
            for statement in plan.statements():
                cursor.execute(statement)
        except psycopg.errors.DataError as exc:
            cursor.execute("rollback to savepoint target_postgres_bulk")
            try:
                cursor.execute(plan.find_untypable_line())
            except psycopg.errors.RaiseException as found:
                text = found.diag.message_primary or ""
                line, _, reason = text.removeprefix(f"{staging.PROBE_FAILED} ").partition(": ")
                problem = f"has a value that does not fit its column ({reason})"
                raise BulkLoadError(
                    self._at_line(sources, first_lines, int(line), problem)
                ) from None
            msg = f"stream {self.stream_name!r}: the batch could not be written ({exc})"
            raise BulkLoadError(msg) from None

    @staticmethod
    def _copy_file(cursor: Any, source: BatchFile) -> int:
        """COPY the file's lines into staging; the staging line number of its first line."""
        first = int(cursor.execute(staging.LAST_LINE).fetchone()[0]) + 1
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
        return first

    @staticmethod
    def _at_line(sources: list[BatchFile], first_lines: list[int], line: int, problem: str) -> str:
        """The file and line number of staging line ``line``."""
        index = max(i for i, first in enumerate(first_lines) if first <= line)
        number = line - first_lines[index] + 1
        return f"batch file {sources[index].url}, line {number}: the line {problem}"
