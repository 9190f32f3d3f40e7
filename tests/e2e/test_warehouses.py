"""End to end: `meltano run <tap> <loader>` against a sandbox, into real warehouses.

The tap plugin is the one the loaders' shipped jobs run: tap-peopleai-bulk (BATCH files), into
DuckDB and into PostgreSQL; the second sync runs the job itself.

Each test syncs twice. The first sync (snapshot exports) must leave the table equal to the
sandbox's ground truth: the set of uids, and for each uid its latest ingest_timestamp. Then the
sandbox clock moves two days ahead, so new activities appear and older ones are re-processed
(newer versions of the same uids); the second, incremental sync (delta exports from the cursor
Meltano kept) must leave the table equal to the new truth: upserted, not duplicated.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from tests.support.tap_runs import meltano_env
from tests.support.truth import compare, latest_versions
from tests.support.warehouse_rows import duckdb_rows, postgres_rows

UTC = timezone.utc
# Frozen sandbox clock: default epoch 2025-01-01, so about two months of activity history exists.
SANDBOX_NOW = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
START_DATE = (SANDBOX_NOW - timedelta(days=30)).date()
ADVANCE = timedelta(days=2)

Rows = list[tuple[str, str, datetime]]

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(420)]


def _bookmark(state: dict[str, Any]) -> dict[str, Any]:
    bookmark = state.get("singer_state", {}).get("bookmarks", {}).get("activities")
    assert isinstance(bookmark, dict), f"no bookmark for stream 'activities' in {state}"
    return bookmark


def _two_syncs(
    meltano_project: Any,
    sandbox_factory: Callable[..., Any],
    pipeline: tuple[str, str],
    loader_env: dict[str, str],
    read_rows: Callable[[], Rows],
    job: str | None = None,
) -> list[str]:
    """Two syncs, each checked against the truth (the second through ``job``, if given, which
    runs the same pipeline); the two runs' logs."""
    tap, loader = pipeline
    sandbox = sandbox_factory(now=SANDBOX_NOW, activities_per_day=100, seed=11)
    env = meltano_env(sandbox, START_DATE, loader_env)
    state_id = f"sandbox:{tap}-to-{loader}"
    meltano_project.run("state", "clear", "--force", state_id, env=env, check=False)

    # 1. first sync: snapshot exports
    truth1 = latest_versions(sandbox.backend.ground_truth(activity_from=START_DATE))
    assert len(truth1) > 2000, "the scenario should hold a few thousand activities"
    first = meltano_project.run("run", tap, loader, env=env)
    problems = compare(read_rows(), truth1)
    assert not problems, f"after the first sync: {problems}"
    bookmark = _bookmark(meltano_project.state(state_id, env=env))
    assert bookmark.get("cursor") == SANDBOX_NOW.date().isoformat(), bookmark
    assert not bookmark.get("jobs"), f"jobs left in flight: {bookmark}"

    # 2. two days later: new activities, and re-processed (newer) versions of existing ones
    sandbox.clock.advance(ADVANCE)
    truth2 = latest_versions(sandbox.backend.ground_truth(activity_from=START_DATE))
    added = set(truth2) - set(truth1)
    changed = {u for u in set(truth1) & set(truth2) if truth1[u] != truth2[u]}
    assert added, "scenario: the clock advance should bring new activities"
    assert changed, "scenario: the clock advance should re-process existing activities"

    jobs_before = len(sandbox.backend.list_jobs())
    second = meltano_project.run("run", *([job] if job else [tap, loader]), env=env)
    problems = compare(read_rows(), truth2)
    assert not problems, f"after the incremental sync: {problems}"
    bookmark = _bookmark(meltano_project.state(state_id, env=env))
    assert bookmark.get("cursor") == (SANDBOX_NOW + ADVANCE).date().isoformat(), bookmark
    assert not bookmark.get("jobs"), f"jobs left in flight: {bookmark}"
    # the second sync used delta exports from the saved cursor, not a new snapshot
    kinds = [job.export_type for job in sandbox.backend.list_jobs()[jobs_before:]]
    assert kinds, "the incremental sync created no export job"
    assert set(kinds) == {"delta"}, kinds
    return [run.stdout + run.stderr for run in (first, second)]


def test_duckdb_snapshot_then_delta_equals_truth(
    meltano_project: Any, sandbox_factory: Callable[..., Any], tmp_path: Path
) -> None:
    db = tmp_path / "e2e.duckdb"
    batches = meltano_project.root / "output" / "batches"
    kept = set(batches.glob("*"))  # other tests of the session may have kept files on purpose
    logs = _two_syncs(
        meltano_project,
        sandbox_factory,
        ("tap-peopleai-bulk", "target-duckdb"),
        {"TARGET_DUCKDB_FILEPATH": str(db), "TARGET_DUCKDB_DEFAULT_TARGET_SCHEMA": "peopleai"},
        lambda: duckdb_rows(db, "peopleai", "activities"),
        job="peopleai-to-duckdb",
    )
    _assert_loaded_from_batch_files(logs, batches, kept)


def test_postgres_from_batch_files_snapshot_then_delta_equals_truth(
    meltano_project: Any, sandbox_factory: Callable[..., Any], postgres_server: Any
) -> None:
    schema = "peopleai_e2e"
    postgres_server.psql(f"drop schema if exists {schema} cascade")
    batches = meltano_project.root / "output" / "batches"
    # Other tests of the session may have kept files there on purpose.
    kept = set(batches.glob("*"))
    logs = _two_syncs(
        meltano_project,
        sandbox_factory,
        ("tap-peopleai-bulk", "target-postgres"),
        postgres_server.loader_env(schema),
        lambda: postgres_rows(postgres_server, schema, "activities"),
        job="peopleai-to-postgres",
    )
    _assert_loaded_from_batch_files(logs, batches, kept)


def _assert_loaded_from_batch_files(logs: list[str], batches: Path, kept: set[Path]) -> None:
    for log in logs:
        # Loaded from BATCH files (none as RECORD messages), which are gone once loaded.
        assert re.search(r"\(2 schemas, 0 records, [1-9]\d* batch manifests", log), log[-3000:]
    assert set(batches.glob("*")) == kept, "every batch file loaded is removed"
