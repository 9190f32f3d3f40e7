"""End to end: nothing the API sends is dropped, every value normalised, in every loader.

`meltano run tap-peopleai <loader>` (RECORD mode) and `meltano run tap-peopleai-bulk <loader>`
(BATCH files, as the jobs run it), into DuckDB and PostgreSQL, against a sandbox that sends
undocumented fields (`extra_fields`), values of other types than documented (`type_drift`) and
timestamps in every style (`mixed`). Two syncs; the late undocumented names (`ai_summary`,
`risk_flags`, `engagement`, and nested ones) appear only in versions the second sync brings.
After each, every key of every record the sandbox served must be in the warehouse with its value
(tests.support.fidelity), timestamps in timestamp columns, and the tap's log must name each new
field once, in the sync where it first appeared."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tap_peopleai.records.schema import activity_fields, activity_schema
from tests.support.fidelity import fidelity_problems
from tests.support.tap_runs import meltano_env
from tests.support.warehouse_rows import duckdb_records, postgres_records

UTC = timezone.utc
SANDBOX_NOW = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
START_DATE = (SANDBOX_NOW - timedelta(days=20)).date()
ADVANCE = timedelta(days=2)
# The sandbox's epoch is 2025-01-01: late names appear in versions ingested from 2025-03-02 on,
# after the first sync's clock and before the second's.
LATE_FIELDS_AFTER_DAYS = 60
LATE_NAMES = {"ai_summary", "risk_flags", "engagement"}
TIMESTAMP_COLUMNS = [name for name, f in activity_fields().items() if f.format == "date-time"]

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

Read = Callable[[], tuple[dict[str, Any], dict[str, str]]]
Query = Callable[[str], list[Any]]
DATA_DOC = Path(__file__).resolve().parents[2] / "docs" / "data.md"


def documented_queries() -> list[str]:
    """The SQL statements of docs/data.md's section "The activities table"."""
    text = DATA_DOC.read_text()
    section = text[text.index("## The activities table") :]
    section = section[: section.index("\n## ", 1)]
    blocks = re.findall(r"```sql\n(.*?)```", section, flags=re.DOTALL)
    assert blocks, "docs/data.md's activities table section shows its queries in ```sql blocks"
    statements = [part.strip() for block in blocks for part in block.split(";")]
    return [statement for statement in statements if statement]


def _sync_and_check(
    meltano_project: Any,
    pipeline: tuple[str, str],
    env: dict[str, str],
    served: dict[str, dict[str, Any]],
    read: Read,
) -> str:
    """One `meltano run`; the warehouse must hold what was served. Returns the run's log."""
    run = meltano_project.run("run", *pipeline, env=env, timeout=540)
    rows, types = read()
    assert set(rows) == set(served)
    problems = fidelity_problems(rows, served, activity_schema())
    assert not problems, f"{len(problems)} rows lose what was sent, e.g. {problems[:5]}"
    for column in TIMESTAMP_COLUMNS:
        assert types[column].lower().startswith("timestamp"), (column, types[column])
    return run.stdout + run.stderr


def _scenario(
    meltano_project: Any,
    sandbox_factory: Callable[..., Any],
    pipeline: tuple[str, str],
    loader_env: dict[str, str],
    read: Read,
    query: Query,
) -> None:
    sandbox = sandbox_factory(
        now=SANDBOX_NOW,
        activities_per_day=60,
        seed=23,
        extra_fields=True,
        type_drift=True,
        timestamp_style="mixed",
        late_fields_after_days=LATE_FIELDS_AFTER_DAYS,
    )
    env = meltano_env(sandbox, START_DATE, loader_env)
    state_id = "sandbox:{}-to-{}".format(*pipeline)
    meltano_project.run("state", "clear", "--force", state_id, env=env, check=False)

    served = sandbox.backend.truth_records(activity_from=START_DATE)
    assert not any(LATE_NAMES & record.keys() for record in served.values()), "scenario"
    log = _sync_and_check(meltano_project, pipeline, env, served, read)
    assert "New field 'source_system' (not in the schema) first seen in job " in log
    assert "New field 'ai_summary'" not in log
    assert log.count("New field 'source_system'") == 1
    # The scenario really converted values and kept others beside a null.
    assert "Values converted to their declared type without loss: " in log
    assert "not an integer; loaded as null, the value as sent kept in additional_fields" in log

    sandbox.clock.advance(ADVANCE)
    served = sandbox.backend.truth_records(activity_from=START_DATE)
    assert any(record.keys() >= LATE_NAMES for record in served.values()), "scenario"
    log = _sync_and_check(meltano_project, pipeline, env, served, read)
    for name in LATE_NAMES:
        assert log.count(f"New field '{name}' (not in the schema) first seen in job ") == 1, name
    # docs/data.md's queries run as shown, and find what they say they find.
    for statement in documented_queries():
        assert query(statement), statement


def _duckdb_query(db: Path, sql: str) -> list[Any]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.mark.parametrize("tap", ["tap-peopleai", "tap-peopleai-bulk"])
def test_duckdb_holds_every_field_and_value_sent(
    meltano_project: Any, sandbox_factory: Callable[..., Any], tmp_path: Path, tap: str
) -> None:
    db = tmp_path / "fields.duckdb"
    _scenario(
        meltano_project,
        sandbox_factory,
        (tap, "target-duckdb"),
        {"TARGET_DUCKDB_FILEPATH": str(db), "TARGET_DUCKDB_DEFAULT_TARGET_SCHEMA": "peopleai"},
        lambda: duckdb_records(db, "peopleai", "activities"),
        lambda sql: _duckdb_query(db, sql),
    )


def test_postgres_holds_every_field_and_value_sent(
    meltano_project: Any, sandbox_factory: Callable[..., Any], postgres_server: Any
) -> None:
    schema = "peopleai_fields"
    postgres_server.psql(f"drop schema if exists {schema} cascade")
    _scenario(
        meltano_project,
        sandbox_factory,
        ("tap-peopleai", "target-postgres"),
        postgres_server.loader_env(schema),
        lambda: postgres_records(postgres_server, schema, "activities"),
        lambda sql: postgres_server.psql(sql.replace("peopleai.", f"{schema}.")),
    )


def test_postgres_from_batch_files_holds_every_field_and_value_sent(
    meltano_project: Any, sandbox_factory: Callable[..., Any], postgres_server: Any
) -> None:
    schema = "peopleai_fields_batch"
    postgres_server.psql(f"drop schema if exists {schema} cascade")
    batches = meltano_project.root / "output" / "batches"
    # Other tests of the session may have kept files there on purpose.
    kept = set(batches.glob("*"))
    _scenario(
        meltano_project,
        sandbox_factory,
        ("tap-peopleai-bulk", "target-postgres"),
        postgres_server.loader_env(schema),
        lambda: postgres_records(postgres_server, schema, "activities"),
        lambda sql: postgres_server.psql(sql.replace("peopleai.", f"{schema}.")),
    )
    assert batches.is_dir(), "the tap wrote its batch files there"
    assert set(batches.glob("*")) == kept, "the loader removed every batch file it loaded"
