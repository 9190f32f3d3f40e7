"""Reading the dbt models back from DuckDB or PostgreSQL and comparing them with `dbt_truth`."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import duckdb

from tests.support.dbt_truth import Marts, Touches

NULL = "∅"
ANALYTICS = "peopleai_analytics"
Query = Callable[[str], list[tuple[str, ...]]]


def duckdb_query(path: Path) -> Query:
    def query(sql: str) -> list[tuple[str, ...]]:
        con = duckdb.connect(str(path), read_only=True)
        try:
            return [tuple(str(value) for value in row) for row in con.execute(sql).fetchall()]
        finally:
            con.close()

    return query


def postgres_query(server: Any) -> Query:
    def query(sql: str) -> list[tuple[str, ...]]:
        psql = shutil.which("psql") or str(server.bindir / "psql")
        command = [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-A", "-t", "-F", "\t"]
        command += ["-h", server.host, "-p", str(server.port), "-U", server.user]
        command += ["-d", server.database, "-c", sql]
        out = subprocess.run(command, capture_output=True, text=True, check=True, timeout=120)
        return [tuple(line.split("\t")) for line in out.stdout.splitlines() if line]

    return query


def select(
    query: Query, table: str, *expressions: str, schema: str = ANALYTICS
) -> list[tuple[str, ...]]:
    """Rows of `table` in the analytics schema, every value as text (NULL as '∅')."""
    columns = ", ".join(f"coalesce(cast({e} as varchar), '{NULL}')" for e in expressions)
    return query(f"select {columns} from {schema}.{table}")  # noqa: S608 - our names


select_in = select


def epoch_us(column: str) -> str:
    return f"cast(round(extract(epoch from {column}) * 1000000) as bigint)"


def _text(value: Any) -> str:
    return NULL if value is None else str(value)


def _us(value: datetime | None) -> str:
    if value is None:
        return NULL
    epoch = datetime(1970, 1, 1, tzinfo=timezone.utc)
    return str((value - epoch) // timedelta(microseconds=1))


def _diff(name: str, loaded: Any, expected: Any) -> list[str]:
    if loaded == expected:
        return []
    if isinstance(expected, dict) and isinstance(loaded, dict):
        missing = sorted(set(expected) - set(loaded))[:3]
        extra = sorted(set(loaded) - set(expected))[:3]
        differ = [k for k in expected if k in loaded and loaded[k] != expected[k]]
        examples = [f"{k}: {loaded[k]} != {expected[k]}" for k in sorted(differ)[:3]]
        return [
            f"{name}: {len(expected)} expected, {len(loaded)} loaded; missing {missing}, "
            f"unexpected {extra}, {len(differ)} differ {examples}"
        ]
    missing = sorted(set(expected) - set(loaded))[:3]
    extra = sorted(set(loaded) - set(expected))[:3]
    return [f"{name}: missing {missing}, unexpected {extra}"]


def _touches(touches: Touches, as_of: date) -> tuple[str, ...]:
    return (
        _us(touches.first),
        _us(touches.last),
        str(touches.touches),
        str(touches.by_type["email"]),
        str(touches.by_type["meeting"]),
        str(touches.by_type["call"]),
        str(touches.last_30),
        str(touches.last_90),
        str(touches.scheduled),
        as_of.isoformat(),
    )


TOUCH_COLUMNS = (
    epoch_us("first_touch_at"),
    epoch_us("last_touch_at"),
    "touch_count",
    "email_count",
    "meeting_count",
    "call_count",
    "activities_last_30_days",
    "activities_last_90_days",
    "scheduled_activity_count",
    "as_of_date",
)


def compare_marts(query: Query, expected: Marts, schema: str = ANALYTICS) -> list[str]:
    """Differences between every model and the expected figures ([] when all equal)."""

    def select(query: Query, table: str, *expressions: str) -> list[tuple[str, ...]]:
        return select_in(query, table, *expressions, schema=schema)

    problems: list[str] = []
    staged = dict(select(query, "stg_peopleai__activities", "uid", "activity_type"))
    expected_types = {uid: kind for kind, uids in expected.uids_by_type.items() for uid in uids}
    problems += _diff("stg_peopleai__activities (uid -> type)", staged, expected_types)
    for kind, view in (("email", "emails"), ("meeting", "meetings"), ("call", "calls")):
        uids = [row[0] for row in select(query, f"peopleai__{view}", "uid")]
        problems += _diff(f"peopleai__{view}", set(uids), expected.uids_by_type[kind])
    participants = {
        (uid, int(index), person, kind)
        for uid, index, person, kind in select(
            query,
            "stg_peopleai__activity_participants",
            "activity_uid",
            "participant_index",
            "peopleai_id",
            "participant_type",
        )
    }
    wanted = {(u, i, _text(p), _text(k)) for u, i, p, k in expected.participants}
    problems += _diff("stg_peopleai__activity_participants", participants, wanted)
    campaigns = {
        (uid, int(index), crm_id)
        for uid, index, crm_id in select(
            query,
            "stg_peopleai__activity_campaigns",
            "activity_uid",
            "campaign_index",
            "campaign_crm_id",
        )
    }
    wanted_campaigns = {(u, i, _text(c)) for u, i, c in expected.campaigns}
    problems += _diff("stg_peopleai__activity_campaigns", campaigns, wanted_campaigns)
    matches = set(
        select(query, "stg_peopleai__activity_crm_matches", "activity_uid", "object_type", "crm_id")
    )
    wanted_matches = {(u, k, _text(c)) for u, k, c in expected.crm_matches}
    problems += _diff("stg_peopleai__activity_crm_matches", matches, wanted_matches)

    daily = {
        (day, kind): int(count)
        for day, kind, count in select(
            query, "peopleai__daily_activity", "date_day", "activity_type", "activity_count"
        )
    }
    wanted_daily = {(d.isoformat(), k): n for (d, k), n in expected.daily.items()}
    problems += _diff("peopleai__daily_activity", daily, wanted_daily)
    for table, key, wanted_counts in (
        ("peopleai__account_daily_activity", "account_crm_id", expected.account_daily),
        ("peopleai__user_daily_activity", "peopleai_id", expected.user_daily),
    ):
        loaded = {
            (who, day, kind): int(count)
            for who, day, kind, count in select(
                query, table, key, "date_day", "activity_type", "activity_count"
            )
        }
        problems += _diff(
            table, loaded, {(w, d.isoformat(), k): n for (w, d, k), n in wanted_counts.items()}
        )
    for table, key, wanted_touches in (
        ("peopleai__opportunities", "opportunity_crm_id", expected.opportunities),
        ("peopleai__accounts", "account_crm_id", expected.accounts),
    ):
        loaded_touches = {row[0]: row[1:] for row in select(query, table, key, *TOUCH_COLUMNS)}
        want = {k: _touches(t, expected.as_of) for k, t in wanted_touches.items()}
        problems += _diff(table, loaded_touches, want)
    names = expected.names
    for table, columns, wanted_names in (
        ("peopleai__account_daily_activity", NAME_COLUMNS["accounts"], names.accounts),
        ("peopleai__accounts", NAME_COLUMNS["accounts"], names.accounts),
        ("peopleai__opportunities", NAME_COLUMNS["opportunities"], names.opportunities),
        ("peopleai__user_daily_activity", NAME_COLUMNS["users"], names.users),
    ):
        named = set(select(query, table, *columns))
        want_named = {
            (key, *(_text(v) for v in (value if isinstance(value, tuple) else (value,))))
            for key, value in wanted_names.items()
        }
        problems += _diff(f"{table} (names)", named, want_named)
    return problems


# The key and the names each mart carries for it.
NAME_COLUMNS = {
    "accounts": ("account_crm_id", "account_name"),
    "opportunities": (
        "opportunity_crm_id",
        "opportunity_name",
        "opportunity_stage_name",
        "account_crm_id",
        "account_name",
    ),
    "users": ("peopleai_id", "user_name", "user_email", "team_name"),
}

# What an analyst's tools should see, by column name, in every model: times with their zone,
# whole counts as BIGINT (not DuckDB's HUGEINT nor PostgreSQL's numeric), days as dates.
TIMESTAMPTZ, BIGINT, DATE = "timestamp with time zone", "bigint", "date"
TYPE_BY_SUFFIX = (
    ("_at", TIMESTAMPTZ),
    ("_count", BIGINT),
    ("_seconds", BIGINT),
    ("_days", BIGINT),
    ("_participants", BIGINT),
    ("_index", BIGINT),
    ("_rank", BIGINT),
    ("_version", BIGINT),
    ("_date", DATE),
    ("date_day", DATE),
)
WIDE_NUMBERS = ("hugeint", "int128", "numeric", "decimal")


def column_types(query: Query, schema: str = ANALYTICS) -> dict[tuple[str, str], str]:
    """(model, column) -> its type as information_schema names it, lower case."""
    columns = "select table_name, column_name, lower(data_type) from information_schema.columns"
    rows = query(f"{columns} where table_schema = '{schema}'")
    return {(table, column): kind for table, column, kind in rows}


def column_type_problems(query: Query, schema: str = ANALYTICS) -> list[str]:
    """Columns whose type is not the one their name promises, or a wide number type."""
    problems = []
    for (table, column), kind in sorted(column_types(query, schema).items()):
        wanted = "boolean" if column.startswith("is_") else None
        wanted = wanted or next((t for end, t in TYPE_BY_SUFFIX if column.endswith(end)), None)
        if (wanted is not None and kind != wanted) or kind.startswith(WIDE_NUMBERS):
            problems.append(f"{table}.{column} is {kind}, expected {wanted or 'no wide number'}")
    return problems
