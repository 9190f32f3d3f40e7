"""End to end: sandbox -> `meltano run` into DuckDB / PostgreSQL -> the dbt models -> the truth.

Each test loads the sandbox through Meltano, builds the models with the Meltano dbt utility
(`dbt-duckdb`, `dbt-postgres`), runs their dbt tests, and compares every model with figures
computed in Python from the sandbox's own records (`dbt_truth`): activities per type, participants
per activity, campaigns, CRM matches, counts per day / account / internal user and type on the
date spine, first/last touch and 30/90-day counts per opportunity and account. Then the sandbox
clock moves on, so that activities are re-processed (newer versions) and meetings rescheduled
(another day), and an incremental sync and build must give the new truth.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import duckdb
import pytest

from demo import models as demo_models
from peopleai_sandbox.checks import to_utc
from tests.support.analyst_queries import (
    ColumnsOf,
    analyst_query_problems,
    duckdb_columns,
    postgres_columns,
    readme_queries,
    readme_shell_commands,
)
from tests.support.dbt_marts import (
    BIGINT,
    TIMESTAMPTZ,
    column_type_problems,
    column_types,
    compare_marts,
    duckdb_query,
    postgres_query,
    select,
)
from tests.support.dbt_truth import expected_marts, truth_records
from tests.support.tap_runs import JOB_TAP, meltano_env

UTC = timezone.utc
SANDBOX_NOW = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
START_DATE = (SANDBOX_NOW - timedelta(days=30)).date()
ADVANCE = timedelta(days=3)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]


def _tap_env(sandbox: Any) -> dict[str, str]:
    return meltano_env(sandbox, START_DATE)


def _assert_dbt_ran(output: str, command: str) -> None:
    assert "Completed successfully" in output, f"`dbt {command}` did not complete:\n{output}"


def _changed(before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]]) -> None:
    """The clock advance re-processed activities, and rescheduled at least one meeting."""
    both = set(before) & set(after)
    reprocessed = {u for u in both if before[u]["ingest_timestamp"] != after[u]["ingest_timestamp"]}
    rescheduled = {
        u
        for u in reprocessed
        if to_utc(before[u]["timestamp"]).date() != to_utc(after[u]["timestamp"]).date()
    }
    assert set(after) - set(before), "scenario: the advance should bring new activities"
    assert reprocessed, "scenario: the advance should re-process activities"
    assert rescheduled, "scenario: the advance should move a meeting to another day"


def _load_build_compare(
    meltano_project: Any,
    sandbox_factory: Callable[..., Any],
    loader: str,
    env: dict[str, str],
    query: Callable[[str], list[tuple[str, ...]]],
    columns_of: ColumnsOf,
) -> Any:
    utility = "dbt-duckdb" if loader == "target-duckdb" else "dbt-postgres"
    tap = JOB_TAP[loader]
    sandbox = sandbox_factory(now=SANDBOX_NOW, activities_per_day=100, seed=23)
    env = {**_tap_env(sandbox), **env}
    meltano_project.run("state", "clear", "--force", f"sandbox:{tap}-to-{loader}", env=env)

    # 1. first sync, models built in the same `meltano run`, then their dbt tests
    run = meltano_project.run("run", tap, loader, f"{utility}:run", env=env)
    _assert_dbt_ran(run.stdout + run.stderr, "run")
    tests = meltano_project.run("invoke", f"{utility}:test", env=env)
    _assert_dbt_ran(tests.stdout + tests.stderr, "test")
    first = truth_records(sandbox, START_DATE)
    problems = compare_marts(query, expected_marts(first))
    assert not problems, "after the first sync:\n" + "\n".join(problems)
    types = column_types(query)
    assert types[("stg_peopleai__activities", "created_at")] == TIMESTAMPTZ
    assert types[("peopleai__accounts", "touch_count")] == BIGINT
    problems = column_type_problems(query)
    assert not problems, "column types:\n" + "\n".join(problems)
    # the README's "Look at the data" queries: their figures and column types
    problems = analyst_query_problems(query, columns_of, first)
    assert not problems, "README queries:\n" + "\n".join(problems)

    # 2. days later: new activities, re-processed ones, rescheduled meetings; an incremental
    #    sync and build through the job that ships in meltano-project/jobs.yml
    sandbox.clock.advance(ADVANCE)
    second = truth_records(sandbox, START_DATE)
    _changed(first, second)
    job = (
        "peopleai-to-duckdb-models" if loader == "target-duckdb" else "peopleai-to-postgres-models"
    )
    build = meltano_project.run("run", job, env=env)
    _assert_dbt_ran(build.stdout + build.stderr, "build")
    assert "incremental model" in build.stdout + build.stderr
    problems = compare_marts(query, expected_marts(second))
    assert not problems, "after the incremental sync and build:\n" + "\n".join(problems)
    return sandbox


def test_duckdb_models_equal_truth_then_deletes_and_new_fields(
    meltano_project: Any, sandbox_factory: Callable[..., Any], tmp_path: Path
) -> None:
    db = tmp_path / "dbt.duckdb"
    env = {"TARGET_DUCKDB_FILEPATH": str(db), "TARGET_DUCKDB_DEFAULT_TARGET_SCHEMA": "peopleai"}
    query = duckdb_query(db)
    sandbox = _load_build_compare(
        meltano_project, sandbox_factory, "target-duckdb", env, query, duckdb_columns(db)
    )

    # The demo's last step (make demo) on this load: build, ten busiest accounts, check.
    def meltano(*args: str, env: dict[str, str], log: Path) -> subprocess.CompletedProcess[str]:
        proc = meltano_project.run(*args, env=env, check=False)
        log.write_text(proc.stdout + proc.stderr)
        return proc

    full_env = {**_tap_env(sandbox), **env}
    assert demo_models.build_models(meltano, full_env, tmp_path / "dbt.log")
    records = truth_records(sandbox, START_DATE)
    ingests = {uid: to_utc(record["ingest_timestamp"]) for uid, record in records.items()}
    rendered = demo_models.sandbox_records(sandbox.config, sandbox.clock.now(), START_DATE, ingests)
    assert rendered == records
    shown: list[str] = []
    assert demo_models.check_accounts(db, rendered, shown.append), "\n".join(shown)
    assert len([line for line in shown if line.startswith("    ")]) == 1 + min(
        demo_models.SHOWN, len(demo_models.accounts_last_30_days(records)[1])
    )

    # 3. what the loaders write once the tap reconciles (issue #12) and keeps undeclared fields:
    #    a soft delete (_sdc_deleted_at, as target-postgres after ACTIVATE_VERSION); a completed
    #    reconciliation (a `reconciliations` row with its version) that re-delivered every
    #    activity but one with its higher `sync_version`; an `additional_fields` JSON column and
    #    a new typed column
    uids = sorted(records)
    widened, soft_deleted, erased = uids[0], uids[1], uids[2]
    con = duckdb.connect(str(db))
    try:
        # The tap already writes sync_version (and, once #12's record half lands,
        # additional_fields): add a column only where the load has none yet.
        con.execute(
            "alter table peopleai.activities add column if not exists additional_fields json"
        )
        con.execute("alter table peopleai.activities add column brand_new_field varchar")
        con.execute("alter table peopleai.activities add column if not exists sync_version bigint")
        # as if every row had been loaded by a tap that writes sync_version (the first sync's)
        con.execute(
            "update peopleai.activities set sync_version = 1000, _sdc_batched_at = now()::timestamp"
        )
        con.execute(
            "update peopleai.activities set additional_fields = '{\"brand_new\": 1}', "
            "brand_new_field = 'hello' where uid = ?",
            [widened],
        )
        con.execute(
            "update peopleai.activities set _sdc_deleted_at = '2025-03-04T12:00:00+00:00' "
            "where uid = ?",
            [soft_deleted],
        )
        con.execute(
            "create or replace table peopleai.reconciliations as "
            "select '2000' as reconciliation_id, "
            "cast(2000 as bigint) as version, now()::timestamp as started_at, "
            "now()::timestamp + interval 1 minute as completed_at"
        )
        con.execute(
            "update peopleai.activities set sync_version = 2000, "
            "_sdc_batched_at = now()::timestamp where uid <> ?",
            [erased],
        )
    finally:
        con.close()
    build = meltano_project.run("invoke", "dbt-duckdb:build", env={**_tap_env(sandbox), **env})
    _assert_dbt_ran(build.stdout + build.stderr, "build")

    flags = {
        uid: (deleted, reason)
        for uid, deleted, reason in select(
            query, "stg_peopleai__activities_all", "uid", "is_deleted", "deleted_reason"
        )
    }
    assert flags[soft_deleted] == ("true", "deleted_by_loader")
    assert flags[erased] == ("true", "absent_from_reconciliation")
    assert sum(deleted == "true" for deleted, _ in flags.values()) == 2
    live = {row[0]: row[1:] for row in select(
        query, "stg_peopleai__activities", "uid", "additional_fields", "brand_new_field"
    )}  # fmt: skip
    assert soft_deleted not in live
    assert erased not in live
    additional, brand_new = live[widened]
    assert json.loads(additional) == {"brand_new": 1}
    assert brand_new == "hello"
    remaining = {u: r for u, r in records.items() if u not in (soft_deleted, erased)}
    problems = compare_marts(query, expected_marts(remaining))
    assert not problems, "after deletions:\n" + "\n".join(problems)

    # 4. a full rebuild (README: after a change of look-back or of the loader's columns) agrees
    rebuild = meltano_project.run(
        "invoke", "dbt-duckdb", "run", "--full-refresh", env={**_tap_env(sandbox), **env}
    )
    _assert_dbt_ran(rebuild.stdout + rebuild.stderr, "run --full-refresh")
    problems = compare_marts(query, expected_marts(remaining))
    assert not problems, "after a full refresh:\n" + "\n".join(problems)

    # 5. an append-only load (what an appending loader leaves: no key, every delivery kept):
    #    each activity also as an older version and as an earlier re-delivery of the same one
    con = duckdb.connect(str(db))
    try:
        con.execute("create schema appended")
        con.execute(
            "create table appended.activities as select * from peopleai.activities union all "
            "select * replace (ingest_timestamp - interval 1 day as ingest_timestamp, "
            "'stale version' as subject) from peopleai.activities union all "
            "select * replace (_sdc_extracted_at - interval 1 hour as _sdc_extracted_at, "
            "'stale delivery' as subject) from peopleai.activities"
        )
        con.execute("create table appended.reconciliations as from peopleai.reconciliations")
    finally:
        con.close()
    appended_env = {
        **_tap_env(sandbox),
        **env,
        "DBT_DUCKDB_SOURCE_SCHEMA": "appended",
        "DBT_DUCKDB_SCHEMA": "appended_analytics",
    }
    run = meltano_project.run("invoke", "dbt-duckdb:run", env=appended_env)
    _assert_dbt_ran(run.stdout + run.stderr, "run")
    appended = "appended_analytics"
    subjects = select(
        query, "stg_peopleai__activities", "subject", "loaded_row_count", schema=appended
    )
    assert all(not subject.startswith("stale") for subject, _ in subjects)
    assert {copies for _, copies in subjects} == {"3"}
    problems = compare_marts(query, expected_marts(remaining), schema=appended)
    assert not problems, "over an append-only load:\n" + "\n".join(problems)


def test_postgres_models_equal_truth(
    meltano_project: Any, sandbox_factory: Callable[..., Any], postgres_server: Any
) -> None:
    schema = "peopleai_dbt"
    postgres_server.psql(f"drop schema if exists {schema} cascade")
    postgres_server.psql("drop schema if exists peopleai_analytics cascade")
    # Only the loader's variables: dbt-postgres takes its connection and source schema from them.
    env = postgres_server.loader_env(schema)
    query = postgres_query(postgres_server)
    columns_of = postgres_columns(query)
    _load_build_compare(meltano_project, sandbox_factory, "target-postgres", env, query, columns_of)

    # The README's way into PostgreSQL, with the loader's settings, a README query on its input
    (command,) = [c for c in readme_shell_commands() if c.startswith("psql ")]
    bindir = str(postgres_server.bindir)
    shell_env = {**env, "PATH": f"{bindir}:{os.environ['PATH']}"}
    shown = subprocess.run(
        ["bash", "-c", command],
        input=readme_queries()[0],
        env=shell_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert shown.returncode == 0, shown.stderr
    assert "week_start" in shown.stdout
    assert "Acme Corporation" in shown.stdout
