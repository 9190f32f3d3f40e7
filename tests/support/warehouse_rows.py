"""Reading back what the loaders wrote into DuckDB and PostgreSQL, for comparison with the truth.

For the end-to-end tests only: it needs duckdb (the dev extra).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from .times import to_utc


def _duckdb_column_types(con: Any, schema: str, table: str) -> dict[str, str]:
    """column -> its type, of a DuckDB table (empty if there is no such table)."""
    return dict(
        con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchall()
    )


def duckdb_rows(path: Path, schema: str, table: str) -> list[tuple[str, str, datetime]]:
    """Every row (uid, type, ingest_timestamp) of a DuckDB table, duplicates included."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        types = _duckdb_column_types(con, schema, table)
        assert types, f"table {schema}.{table} not found in {path}"
        ingest = (
            "epoch_us(ingest_timestamp)"
            if str(types["ingest_timestamp"]).upper().startswith("TIMESTAMP")
            else "CAST(ingest_timestamp AS VARCHAR)"
        )
        rows = con.execute(
            f'select uid, "type", {ingest} from "{schema}"."{table}"'  # noqa: S608
        ).fetchall()
    finally:
        con.close()
    return [(uid, kind, to_utc(ts)) for uid, kind, ts in rows]


def postgres_rows(server: Any, schema: str, table: str) -> list[tuple[str, str, datetime]]:
    """Every row (uid, type, ingest_timestamp) of a PostgreSQL table, duplicates included."""
    query = (
        "select data_type from information_schema.columns "  # noqa: S608 - our identifiers
        f"where table_schema = '{schema}' and table_name = '{table}' "
        "and column_name = 'ingest_timestamp'"
    )
    data_type = server.psql(query)
    assert data_type, f"table {schema}.{table} (or its ingest_timestamp) not found"
    if data_type[0][0].startswith("timestamp"):
        # epoch of a `timestamp without time zone` reads it as UTC, of a timestamptz as absolute
        ingest = "(extract(epoch from ingest_timestamp) * 1000000)::bigint::text"
    else:
        ingest = "ingest_timestamp::text"
    rows = server.psql(f'select uid, "type", {ingest} from "{schema}"."{table}"')  # noqa: S608
    out = []
    for uid, kind, ts in rows:
        out.append((uid, kind, to_utc(int(ts) if ts.lstrip("-").isdigit() else ts)))
    return out


def _parsed_json_columns(row: dict[str, Any], json_columns: set[str]) -> dict[str, Any]:
    return {
        key: json.loads(value) if key in json_columns and isinstance(value, str) else value
        for key, value in row.items()
    }


def duckdb_records(path: Path, schema: str, table: str) -> tuple[dict[str, Any], dict[str, str]]:
    """uid -> row (JSON columns parsed) of a DuckDB table, and column -> its type."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        types = _duckdb_column_types(con, schema, table)
        cursor = con.execute(f'select * from "{schema}"."{table}"')  # noqa: S608
        names = [column[0] for column in cursor.description]
        rows = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
    finally:
        con.close()
    json_columns = {name for name, kind in types.items() if kind.upper() == "JSON"}
    return {row["uid"]: _parsed_json_columns(row, json_columns) for row in rows}, types


def postgres_records(server: Any, schema: str, table: str) -> tuple[dict[str, Any], dict[str, str]]:
    """uid -> row (as row_to_json gives it) of a PostgreSQL table, and column -> its type."""
    types = dict(
        server.psql(
            "select column_name, data_type from information_schema.columns "  # noqa: S608
            f"where table_schema = '{schema}' and table_name = '{table}'"
        )
    )
    rows = [
        json.loads(line[0])
        for line in server.psql(f'select row_to_json(t) from "{schema}"."{table}" t')  # noqa: S608
    ]
    return {row["uid"]: row for row in rows}, types
