"""`meltano schedule run peopleai-daily`, as cron or an orchestrator would call it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from tests.support.tap_runs import JOB_TAP, meltano_env
from tests.support.truth import compare, latest_versions
from tests.support.warehouse_rows import duckdb_rows

SANDBOX_NOW = datetime(2025, 3, 1, 12, 0, 0, tzinfo=timezone.utc)
START_DATE = (SANDBOX_NOW - timedelta(days=15)).date()
STATE_ID = f"sandbox:{JOB_TAP['target-duckdb']}-to-target-duckdb"  # the daily job's pipeline

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(420)]


def test_daily_schedule_runs_its_job_into_duckdb_twice(
    meltano_project: Any, sandbox_factory: Callable[..., Any], tmp_path: Path
) -> None:
    sandbox = sandbox_factory(now=SANDBOX_NOW, activities_per_day=100, seed=31)
    db = tmp_path / "scheduled.duckdb"
    env = meltano_env(sandbox, START_DATE, {"TARGET_DUCKDB_FILEPATH": str(db)})
    listed = meltano_project.run("schedule", "list", env=env).stdout
    assert "peopleai-daily" in listed, listed
    meltano_project.run("state", "clear", "--force", STATE_ID, env=env, check=False)

    meltano_project.run("schedule", "run", "peopleai-daily", env=env)
    truth = latest_versions(sandbox.backend.ground_truth(activity_from=START_DATE))
    problems = compare(duckdb_rows(db, "peopleai", "activities"), truth)
    assert not problems, f"after the first scheduled run: {problems}"

    # the next day's run continues from the state the first one saved
    sandbox.clock.advance(timedelta(days=1))
    jobs_before = len(sandbox.backend.list_jobs())
    meltano_project.run("schedule", "run", "peopleai-daily", env=env)
    kinds = {job.export_type for job in sandbox.backend.list_jobs()[jobs_before:]}
    assert kinds == {"delta"}, kinds
    truth = latest_versions(sandbox.backend.ground_truth(activity_from=START_DATE))
    problems = compare(duckdb_rows(db, "peopleai", "activities"), truth)
    assert not problems, f"after the second scheduled run: {problems}"
    bookmark = meltano_project.state(STATE_ID, env=env)["singer_state"]["bookmarks"]["activities"]
    assert bookmark["cursor"] == (SANDBOX_NOW + timedelta(days=1)).date().isoformat()
