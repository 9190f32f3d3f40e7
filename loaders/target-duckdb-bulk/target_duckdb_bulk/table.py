"""One stream's table in DuckDB: created and widened from the schema, loaded set-based.

Every load is one transaction: `read_json` of the files into a temporary table (the only
statement that reads them), then, with key properties, the rows of those keys deleted and the
last row of each key inserted; without keys, the rows appended. The table has no PRIMARY KEY
constraint: DuckDB's index makes replacing wide rows with nested values an order of magnitude
slower than this delete-then-insert (measured; README of this distribution).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb

from target_duckdb_bulk.columns import (
    BATCHED_COLUMN,
    DELETED_COLUMN,
    SDC_COLUMNS,
    VERSION_COLUMN,
    literal,
    quote,
    read_columns_literal,
)

_STAGED = "target_duckdb_bulk_staged"


@dataclass(frozen=True)
class LoadStamp:
    """What the loader knows of a load that the rows may not carry: filled where they are null."""

    batched_at_us: int  # when this batch was started, µs since the epoch
    sync_started_at: int  # the SDK's sync start, ms since the epoch

    def fills(self) -> dict[str, str]:
        """`_sdc_*` column -> the SQL expression of its value when the row has none.

        A BATCH message carries no extraction time: its rows count as extracted when the loader
        received it, so that later deliveries still rank later.
        """
        batched = f"make_timestamptz({self.batched_at_us})"
        return {
            "_sdc_extracted_at": batched,
            "_sdc_batched_at": batched,
            "_sdc_received_at": "get_current_timestamp()",
            "_sdc_sequence": f"{self.batched_at_us // 1000}",
            "_sdc_sync_started_at": str(self.sync_started_at),
        }


class Table:
    """A stream's table: ``schema.name`` on a DuckDB connection."""

    def __init__(self, connection: Any, schema: str, name: str) -> None:
        self.connection = connection
        self.schema = schema
        self.name = name
        # Qualified by the database too: a file named like the schema (peopleai.duckdb holding
        # schema peopleai) makes `peopleai.activities` ambiguous to DuckDB.
        (self.catalog,) = connection.execute("select current_database()").fetchall()[0]
        self.qualified_schema = f"{quote(self.catalog)}.{quote(schema)}"
        self.qualified = f"{self.qualified_schema}.{quote(name)}"

    def columns(self) -> dict[str, str]:
        """column -> type of the table as it is now (empty if it does not exist)."""
        rows = self.connection.execute(
            "select column_name, data_type from information_schema.columns where "
            "table_catalog = ? and table_schema = ? and table_name = ? order by ordinal_position",
            [self.catalog, self.schema, self.name],
        ).fetchall()
        return {str(name): str(kind) for name, kind in rows}

    def prepare(self, wanted: Mapping[str, str]) -> list[str]:
        """Create the table, or add the columns it lacks and retype those declared otherwise.

        Returns what changed, one line per change, for the log.
        """
        con = self.connection
        con.execute(f"create schema if not exists {self.qualified_schema}")
        existing = self.columns()
        if not existing:
            body = ", ".join(f"{quote(name)} {kind}" for name, kind in wanted.items())
            con.execute(f"create table {self.qualified} ({body or '_sdc_empty BOOLEAN'})")
            return [f"created {self.qualified}"]
        changes = []
        by_lower = {name.lower(): (name, kind) for name, kind in existing.items()}
        for name, kind in wanted.items():
            found = by_lower.get(name.lower())
            if found is None:
                con.execute(f"alter table {self.qualified} add column {quote(name)} {kind}")
                changes.append(f"added column {name} {kind}")
            elif found[1].upper() != kind.upper():
                # DuckDB casts the stored values; one it cannot cast stops the load loudly.
                con.execute(
                    f"alter table {self.qualified} alter column {quote(found[0])} type {kind}"
                )
                changes.append(f"column {name}: {found[1]} -> {kind}")
        return changes

    def load(
        self,
        sources: Sequence[str],
        read_columns: Mapping[str, str],
        keys: Sequence[str],
        stamp: LoadStamp,
        *,
        append_only: bool = False,
    ) -> int:
        """Load JSON Lines files (gzip or not) in one transaction; returns the rows read."""
        con = self.connection
        paths = "[" + ", ".join(literal(path) for path in sources) + "]"
        con.begin()
        try:
            con.execute(
                f"create or replace temp table {_STAGED} as select * from read_json({paths}, "
                f"format = 'newline_delimited', compression = 'auto_detect', "
                f"columns = {read_columns_literal(read_columns)})"
            )
            upsert = bool(keys) and not append_only
            key_tuple = "(" + ", ".join(quote(k) for k in keys) + ")" if upsert else "null"
            [(count, distinct)] = con.execute(
                f"select count(*), count(distinct {key_tuple}) from {_STAGED}"
            ).fetchall()
            if upsert:
                self._delete_keys(keys)
            # Keeping the last row of each key takes a window over the batch: only needed when
            # a key occurs twice in it (measured: 0.6 s of 19 s for 659,538 activities, 132 BATCH
            # messages, every key new).
            self._insert(read_columns, keys if upsert and distinct != count else (), stamp)
            con.execute(f"drop table {_STAGED}")
            con.commit()
        except BaseException:
            # The error at fault is this one: DuckDB may have ended the transaction already
            # (when out of memory, for one).
            with contextlib.suppress(duckdb.Error):
                con.rollback()
            raise
        return int(count)

    def _delete_keys(self, keys: Sequence[str]) -> None:
        match = " and ".join(f"t.{quote(k)} = s.{quote(k)}" for k in keys)
        self.connection.execute(f"delete from {self.qualified} t using {_STAGED} s where {match}")

    def _insert(
        self, read_columns: Mapping[str, str], keys: Sequence[str], stamp: LoadStamp
    ) -> None:
        fills = stamp.fills()
        present = self.columns()
        names, values = [], []
        for name in read_columns:
            names.append(quote(name))
            fill = fills.get(name)
            values.append(f"coalesce({quote(name)}, {fill})" if fill else quote(name))
        # Metadata columns the table has but this stream's records do not carry.
        for name, fill in fills.items():
            if name in present and name not in read_columns:
                names.append(quote(name))
                values.append(fill)
        latest = ""
        if keys:
            # The last row of each key in stream order: files in manifest order, lines in file
            # order, as read_json inserted them (insertion order is preserved).
            partition = ", ".join(quote(k) for k in keys)
            latest = (
                f" qualify row_number() over (partition by {partition} order by rowid desc) = 1"
            )
        self.connection.execute(
            f"insert into {self.qualified} ({', '.join(names)}) "
            f"select {', '.join(values)} from {_STAGED}{latest}"
        )

    def activate_version(self, version: int, *, hard_delete: bool) -> int:
        """Mark deleted (or delete) every live row of an older version; returns how many.

        A row loaded without a version (a BATCH file has none) counts as of the time it was
        loaded, in ms since the epoch, the Singer convention for versions: rows loaded before
        a version's sync started were not re-sent by it.
        """
        present = self.columns()
        for name in (VERSION_COLUMN, DELETED_COLUMN, BATCHED_COLUMN):
            if name not in present:
                self.connection.execute(
                    f"alter table {self.qualified} add column {quote(name)} {SDC_COLUMNS[name]}"
                )
        older = (
            f"({quote(VERSION_COLUMN)} < {version} or ({quote(VERSION_COLUMN)} is null "
            f"and {quote(BATCHED_COLUMN)} < make_timestamptz({version * 1000})))"
        )
        if hard_delete:
            sql = f"delete from {self.qualified} where {older}"
        else:
            sql = (
                f"update {self.qualified} set {quote(DELETED_COLUMN)} = get_current_timestamp() "
                f"where {older} and {quote(DELETED_COLUMN)} is null"
            )
        rows = self.connection.execute(sql).fetchall()
        return int(rows[0][0]) if rows else 0

    def truncate(self) -> None:
        """Remove every row (load_method `overwrite`, before the run's first load)."""
        self.connection.execute(f"delete from {self.qualified}")
