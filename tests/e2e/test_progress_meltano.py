"""The progress log through Meltano: `heartbeat_interval` set as an environment variable (text).

Meltano passes `kind: string` settings on as text; the tap reads "1" as one second and shows its
heartbeats, state changes and summary in Meltano's log. A bad value stops the run with the tap's
one line naming the setting.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

SANDBOX_NOW = datetime(2025, 3, 1, 12, 0, 0, tzinfo=timezone.utc)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(420)]


def _env(sandbox: Any, tmp_path: Path, heartbeat: str) -> dict[str, str]:
    return {
        "TAP_PEOPLEAI_API_URL": sandbox.url,
        "TAP_PEOPLEAI_CLIENT_ID": sandbox.client_id,
        "TAP_PEOPLEAI_CLIENT_SECRET": sandbox.client_secret,
        "TAP_PEOPLEAI_START_DATE": (SANDBOX_NOW - timedelta(days=10)).date().isoformat(),
        "TAP_PEOPLEAI_SCHEDULED_HORIZON_DAYS": "0",
        "TAP_PEOPLEAI_HEARTBEAT_INTERVAL": heartbeat,
        "TARGET_DUCKDB_FILEPATH": str(tmp_path / "progress.duckdb"),
    }


def test_meltano_run_shows_heartbeats_at_the_interval_given_in_the_environment(
    meltano_project: Any, sandbox_factory: Callable[..., Any], tmp_path: Path
) -> None:
    sandbox = sandbox_factory(
        now=SANDBOX_NOW, activities_per_day=50, seed=5, job_queue_seconds=2.5, job_run_seconds=1.5
    )
    env = _env(sandbox, tmp_path, "1")
    meltano_project.run(
        "state", "clear", "--force", "sandbox:tap-peopleai-to-target-duckdb", env=env, check=False
    )
    proc = meltano_project.run("run", "tap-peopleai", "target-duckdb", env=env)
    log = proc.stdout + proc.stderr
    assert "Plan: 1 snapshot window(s) (today is 2025-03-01 by the API's clock)" in log
    assert "Waiting for export job " in log, "a 1 s heartbeat while the job waits 4 s"
    assert "other tools hold 0 of the 10 queue slots" in log
    assert ": Queued -> Running after " in log
    # Meltano reads the METRIC points as such (and shows their names and values).
    assert "metric_name=job_duration" in log
    assert "metric_name=export_job_wait" in log
    assert "Sync finished: 1 job(s) created, 0 reused, 0 replaced;" in log
    assert sandbox.client_secret not in log


def test_meltano_run_with_a_bad_heartbeat_interval_stops_with_the_taps_line(
    meltano_project: Any, sandbox_factory: Callable[..., Any], tmp_path: Path
) -> None:
    sandbox = sandbox_factory(now=SANDBOX_NOW, activities_per_day=50, seed=5)
    env = _env(sandbox, tmp_path, "0.5")
    proc = meltano_project.run("run", "tap-peopleai", "target-duckdb", env=env, check=False)
    assert proc.returncode != 0
    log = proc.stdout + proc.stderr
    assert "`heartbeat_interval` must be a number of seconds of at least 1, got '0.5'." in log
    assert sandbox.backend.stats()["jobs_created"] == 0
