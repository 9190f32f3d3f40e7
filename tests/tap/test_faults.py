"""Faults the API may throw at the tap: none may lose an activity; fatal ones say what to do."""

from __future__ import annotations

import datetime as dt

import pytest

from peopleai_sandbox import Faults, Variants
from tap_peopleai.errors import DamagedFragmentError, ExportJobError
from tests.support.api_client import create_job_as_another_tool
from tests.support.tap_runs import START, run_tap, tap_config
from tests.support.truth import Warehouse


def assert_complete(sandbox, result) -> Warehouse:  # type: ignore[no-untyped-def]
    warehouse = Warehouse()
    warehouse.load(result)
    warehouse.assert_equals(sandbox.backend.ground_truth(activity_from=START))
    return warehouse


@pytest.mark.parametrize(
    ("faults", "stat"),
    [
        (Faults(http_error_rate=0.15), "faults_injected"),
        (Faults(http_error_rate=0.15, html_error_bodies=True), "faults_injected"),
        (Faults(drop_download_rate=0.4), "fault_dropped_download"),
        (Faults(job_failure_rate=0.3), "jobs_failed"),
        (Faults(job_cancel_rate=0.3), "jobs_canceled"),
        (Faults(bandwidth_bytes_per_second=400_000), "downloads"),
    ],
    ids=[
        "http-errors",
        "html-error-bodies",
        "dropped-downloads",
        "failed-jobs",
        "canceled-jobs",
        "slow-downloads",
    ],
)
def test_transient_faults_lose_nothing_and_duplicate_nothing(make_sandbox, faults, stat) -> None:
    sandbox = make_sandbox(faults=faults, seed=2)
    result = run_tap(tap_config(sandbox, scheduled_horizon_days=30, snapshot_window_days=30))
    warehouse = assert_complete(sandbox, result)
    assert warehouse.received == len(warehouse.rows), "retries happen before a fragment is emitted"
    assert sandbox.backend.stats()[stat] > 0, f"the fault under test ({stat}) never fired"


def test_corrupt_downloads_are_fetched_again_and_only_duplicate_inside_the_fragment(
    make_sandbox,
) -> None:
    sandbox = make_sandbox(faults=Faults(corrupt_download_rate=0.5), seed=5)
    result = run_tap(tap_config(sandbox))
    warehouse = assert_complete(sandbox, result)
    assert sandbox.backend.stats()["fault_corrupt_download"] > 0
    assert warehouse.received >= len(warehouse.rows)


def test_tokens_that_expire_during_the_sync_are_renewed(make_sandbox) -> None:
    sandbox = make_sandbox(token_ttl_seconds=0.3, job_run_seconds=0.4)
    result = run_tap(tap_config(sandbox, snapshot_window_days=30))
    assert_complete(sandbox, result)
    assert sandbox.backend.stats()["tokens_issued"] >= 3


def test_a_job_that_fails_twice_stops_the_sync_naming_job_and_window(make_sandbox) -> None:
    sandbox = make_sandbox(faults=Faults(job_failure_rate=1.0))
    result = run_tap(tap_config(sandbox), expect_error=True)
    assert isinstance(result.error, ExportJobError)
    message = str(result.error)
    assert "1002" in message
    assert "after job 1001" in message
    assert "snapshot 2026-04-01.." in message
    assert result.records == []
    assert "cursor" not in result.bookmark


def test_a_stuck_job_times_out_with_an_error_naming_it(make_sandbox) -> None:
    sandbox = make_sandbox(faults=Faults(stuck_job_rate=1.0))
    result = run_tap(tap_config(sandbox, job_timeout=0.5), expect_error=True)
    assert isinstance(result.error, ExportJobError)
    assert "Export job 1001" in str(result.error)
    assert "job_timeout" in str(result.error)
    # A job that never left the queue is not waited on again: the next sync creates a new one.
    assert "jobs" not in result.bookmark
    sandbox.set_faults(Faults())
    again = run_tap(tap_config(sandbox), result.final_state)
    assert sandbox.backend.stats()["jobs_created"] >= 2
    assert again.records


def test_a_line_that_stays_invalid_stops_the_sync_naming_job_fragment_and_line(
    make_sandbox,
) -> None:
    sandbox = make_sandbox(faults=Faults(persistent_bad_line=True))
    result = run_tap(tap_config(sandbox), expect_error=True)
    assert isinstance(result.error, DamagedFragmentError)
    message = str(result.error)
    assert "job 1001" in message
    assert "fragment 0" in message
    assert "line 3" in message
    assert "Run the tap again" in message
    # Nothing after the bad line was emitted (the two lines before it twice: the fragment was
    # downloaded again), the cursor did not move, and the broken job is forgotten.
    assert len({r["uid"] for r in result.records}) == 2
    assert len(result.records) == 4
    assert "cursor" not in result.bookmark
    assert "jobs" not in result.bookmark or all(
        job["job_id"] != "1001" for job in result.bookmark["jobs"]
    )


@pytest.mark.parametrize("limit_status", [429, 400, 409])
def test_a_full_export_queue_means_wait_and_retry(make_sandbox, limit_status) -> None:
    # The API's queue holds fewer jobs than documented, so the tap, counting live jobs against
    # 10, still meets the limit error a queue filled in a race would answer.
    sandbox = make_sandbox(
        variants=Variants(limit_status=limit_status),
        job_run_seconds=0.3,
        job_queue_seconds=0.2,
        max_queued=5,
    )
    for day in range(1, 6):  # another tool fills the whole queue
        day_text = f"2026-05-{day:02d}"
        assert create_job_as_another_tool(sandbox, "delta", day_text, day_text).status_code == 200
    result = run_tap(tap_config(sandbox, reserved_queue_slots=0, snapshot_window_days=30))
    assert_complete(sandbox, result)
    assert sandbox.backend.stats()["limit_errors"] >= 1


def test_clock_moving_days_mid_sync_expires_tokens_without_losing_data(make_sandbox) -> None:
    sandbox = make_sandbox()
    first = run_tap(tap_config(sandbox))
    sandbox.advance(days=2)
    second = run_tap(tap_config(sandbox), first.final_state)
    warehouse = Warehouse()
    warehouse.load(first)
    warehouse.load(second)
    warehouse.assert_equals(sandbox.backend.ground_truth(activity_from=START))
    assert second.bookmark["cursor"] == (dt.date(2026, 6, 17)).isoformat()
