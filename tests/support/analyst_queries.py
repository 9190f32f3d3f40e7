"""The README's "Look at the data" section: its queries read from the README, run on a warehouse,
and checked against figures computed in Python from the sandbox's records, with their types."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from statistics import fmean
from typing import Any

import duckdb

from peopleai_sandbox.checks import to_utc
from tests.support.dbt_marts import BIGINT, DATE, TIMESTAMPTZ, Query
from tests.support.dbt_truth import activities_of, expected_marts, latest_names

README = Path(__file__).resolve().parents[2] / "README.md"
SECTION = "## Look at the data"
TEXT, DOUBLE = "text", "double"
NULLS = ("", "None")  # NULL as psql and as str() of DuckDB's Python value print it

# Each README query's columns and the types both warehouses must give them (normalised names).
EXPECTED_COLUMNS = (
    {"account_name": TEXT, "week_start": DATE, "activities": BIGINT},
    {
        "opportunity_name": TEXT,
        "account_name": TEXT,
        "opportunity_stage_name": TEXT,
        "meeting_count": BIGINT,
        "scheduled_activity_count": BIGINT,
        "last_touch_at": TIMESTAMPTZ,
    },
    {"account_name": TEXT, "answered_emails": BIGINT, "avg_reply_hours": DOUBLE},
)
_TYPE_NAMES = {
    "varchar": TEXT,
    "character varying": TEXT,
    "double precision": DOUBLE,
    "timestamptz": TIMESTAMPTZ,
}

ColumnsOf = Callable[[str], list[tuple[str, str]]]


def _section() -> str:
    text = README.read_text()
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    return text[start : end if end >= 0 else len(text)]


def readme_queries() -> list[str]:
    """The section's SQL blocks, in order."""
    return [block.strip() for block in re.findall(r"```sql\n(.*?)```", _section(), re.S)]


def readme_shell_commands() -> list[str]:
    """The section's shell commands (comments left out)."""
    blocks = re.findall(r"```bash\n(.*?)```", _section(), re.S)
    lines = [re.sub(r"\s+# .*$", "", line).strip() for b in blocks for line in b.splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def duckdb_columns(path: Path) -> ColumnsOf:
    def columns(sql: str) -> list[tuple[str, str]]:
        con = duckdb.connect(str(path), read_only=True)
        try:
            relation = con.sql(sql.rstrip(";"))
            return [
                (name, str(kind))
                for name, kind in zip(relation.columns, relation.types, strict=True)
            ]
        finally:
            con.close()

    return columns


def postgres_columns(query: Query) -> ColumnsOf:
    """Column types of a query on PostgreSQL (`query`: dbt_marts.postgres_query), read back from
    a temporary view of it in the same session."""

    def columns(sql: str) -> list[tuple[str, str]]:
        view = f"create temporary view readme_query as {sql.rstrip(';')}"
        described = query(f"{view}; {_DESCRIBE_VIEW}")
        return [(name, kind) for name, kind in described]

    return columns


_DESCRIBE_VIEW = (
    "select column_name, data_type from information_schema.columns "
    "where table_name = 'readme_query' order by ordinal_position"
)


def _normalised(kind: str) -> str:
    kind = kind.lower()
    return _TYPE_NAMES.get(kind, kind)


def _moment(text: str) -> datetime:
    """A timestamptz as DuckDB's Python API or psql prints it."""
    return datetime.fromisoformat(re.sub(r"([+-]\d\d)$", r"\1:00", text))


def expected_rows(records: dict[str, dict[str, Any]]) -> list[Counter[tuple[Any, ...]]]:
    """What each README query must return, row by row (as a multiset), from the records."""
    activities = activities_of(records)
    names = latest_names(activities)
    marts = expected_marts(records)
    weeks: Counter[tuple[str, date]] = Counter()
    days: dict[str, list[date]] = defaultdict(list)
    for activity in activities.values():
        if activity.account is not None:
            weeks[(activity.account, _monday(activity.day))] += 1
            days[activity.account].append(activity.day)
    per_week: Counter[tuple[Any, ...]] = Counter()
    for account, dated in days.items():
        # the daily rollup spans the account's first to last day: empty weeks count 0
        monday = _monday(min(dated))
        while monday <= max(dated):
            per_week[(names.accounts[account], monday, weeks[(account, monday)])] += 1
            monday += timedelta(days=7)
    meetings: Counter[tuple[Any, ...]] = Counter()
    for key, touches in marts.opportunities.items():
        name, stage, _account, account_name = names.opportunities[key]
        row = (name, account_name, stage, touches.by_type["meeting"], touches.scheduled)
        meetings[(*row, touches.last)] += 1
    return [per_week, meetings, _reply_hours(records, activities, names.accounts)]


def _reply_hours(
    records: dict[str, dict[str, Any]], activities: Any, account_names: dict[str, str | None]
) -> Counter[tuple[Any, ...]]:
    sent: dict[str, dict[str, list[datetime]]] = defaultdict(lambda: defaultdict(list))
    for uid, activity in activities.items():
        direction = records[uid].get("direction")
        if activity.type == "email" and activity.account is not None:
            sent[activity.account][direction].append(to_utc(records[uid]["timestamp"]))
    rows: Counter[tuple[Any, ...]] = Counter()
    for account, by_direction in sent.items():
        waits = []
        for received in by_direction["inbound"]:
            later = [at for at in by_direction["outbound"] if at > received]
            if later:
                waits.append((min(later) - received).total_seconds() / 3600)
        if waits:
            rows[(account_names[account], len(waits), round(fmean(waits), 6))] += 1
    return rows


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _typed(row: tuple[str, ...], columns: dict[str, str]) -> tuple[Any, ...]:
    """A row of text values as Python values of the query's column types, for comparison."""
    parse = {
        BIGINT: int,
        DATE: lambda v: datetime.fromisoformat(v).date(),
        TIMESTAMPTZ: _moment,
        DOUBLE: lambda v: round(float(v), 6),
    }
    return tuple(
        None if value in NULLS else parse.get(kind, str)(value)
        for value, kind in zip(row, columns.values(), strict=True)
    )


def analyst_query_problems(
    query: Query, columns_of: ColumnsOf, records: dict[str, dict[str, Any]]
) -> list[str]:
    """Differences between the README's queries on a warehouse and the records' figures."""
    problems = []
    queries = readme_queries()
    assert len(queries) == len(EXPECTED_COLUMNS), "the README's queries and EXPECTED_COLUMNS differ"
    for sql, columns, wanted in zip(queries, EXPECTED_COLUMNS, expected_rows(records), strict=True):
        title = sql.splitlines()[0]
        got_columns = {name: _normalised(kind) for name, kind in columns_of(sql)}
        if got_columns != columns:
            problems.append(f"{title}: columns {got_columns}, expected {columns}")
            continue
        rows = Counter(_typed(row, columns) for row in query(sql.rstrip(";")))
        if rows != wanted:
            missing, extra = (
                list((wanted - rows).elements())[:3],
                list((rows - wanted).elements())[:3],
            )
            problems.append(f"{title}: missing {missing}, unexpected {extra}")
    return problems
