"""Reading back what the loaders wrote, normalised for comparison with the sandbox's truth."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb

from peopleai_sandbox.checks import to_utc

UTC = timezone.utc


def truth_rows(truth: dict[str, Any]) -> dict[str, tuple[str, datetime]]:
    """uid -> (type, latest ingest_timestamp) from `backend.ground_truth(...)`."""
    return {uid: (row.type, to_utc(row.ingest_timestamp)) for uid, row in truth.items()}


def duckdb_rows(path: Path, schema: str, table: str) -> list[tuple[str, str, datetime]]:
    """Every row (uid, type, ingest_timestamp) of a DuckDB table, duplicates included."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        types = dict(
            con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = ? and table_name = ?",
                [schema, table],
            ).fetchall()
        )
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


def compare(rows: list[tuple[str, str, datetime]], truth: dict[str, tuple[str, datetime]]) -> str:
    """Differences between loaded rows and the truth, as a readable report ('' when equal)."""
    problems = []
    seen: dict[str, tuple[str, datetime]] = {}
    duplicates = []
    for uid, kind, ingest in rows:
        if uid in seen:
            duplicates.append(uid)
        seen[uid] = (kind, ingest)
    if duplicates:
        problems.append(f"{len(duplicates)} duplicate uids, e.g. {sorted(duplicates)[:3]}")
    missing = sorted(set(truth) - set(seen))
    extra = sorted(set(seen) - set(truth))
    if missing:
        problems.append(f"{len(missing)} uids missing, e.g. {missing[:3]}")
    if extra:
        problems.append(f"{len(extra)} unexpected uids, e.g. {extra[:3]}")
    differ = sorted(u for u in set(truth) & set(seen) if truth[u] != seen[u])
    if differ:
        examples = [f"{u}: loaded {seen[u]} != truth {truth[u]}" for u in differ[:3]]
        problems.append(f"{len(differ)} rows differ from the latest version: {examples}")
    return "; ".join(problems)
