"""Sync progress: snapshot then deltas, hand-over without a gap, bounded state, resumable jobs."""

from __future__ import annotations

import datetime as dt

from tap_peopleai.settings.objects import PlanSettings
from tap_peopleai.state.entries import JobInFlight
from tap_peopleai.state.progress import SyncProgress
from tap_peopleai.state.windows import ExportWindow

D = dt.date
SETTINGS = PlanSettings(
    start_date=D(2025, 1, 1),
    end_date=None,
    snapshot_window_days=365,
    delta_window_days=14,
    scheduled_horizon_days=30,
)


def roundtrip(progress: SyncProgress) -> SyncProgress:
    bookmark: dict[str, object] = {"replication_key": "ingest_timestamp"}
    progress.write_to(bookmark)
    assert bookmark["replication_key"] == "ingest_timestamp"
    return SyncProgress.from_bookmark(bookmark)


def test_first_sync_snapshots_from_start_date_through_the_scheduled_horizon() -> None:
    progress = SyncProgress()
    windows = progress.plan(SETTINGS, D(2026, 6, 15))
    assert [w.export_type for w in windows] == ["snapshot", "snapshot"]
    assert windows[0].start == D(2025, 1, 1)
    assert windows[-1].end == D(2026, 7, 15)


def test_snapshot_hands_over_to_deltas_from_the_day_it_was_planned() -> None:
    progress = SyncProgress()
    windows = progress.plan(SETTINGS, D(2026, 6, 15))
    for window in windows:
        progress.window_emitted(window, D(2026, 6, 16))
    assert progress.cursor == D(2026, 6, 15)
    assert progress.snapshot is None
    deltas = roundtrip(progress).plan(SETTINGS, D(2026, 6, 20))
    assert deltas == [ExportWindow("delta", D(2026, 6, 15), D(2026, 6, 20))]


def test_interrupted_snapshot_resumes_after_the_last_finished_window() -> None:
    progress = SyncProgress()
    windows = progress.plan(SETTINGS, D(2026, 6, 15))
    progress.window_emitted(windows[0], D(2026, 6, 15))
    resumed = roundtrip(progress)
    again = resumed.plan(SETTINGS, D(2026, 6, 17))
    assert again[0].start == windows[0].end + dt.timedelta(days=1)
    assert again[-1].end == windows[-1].end
    for window in again:
        resumed.window_emitted(window, D(2026, 6, 17))
    # The hand-over date is the day the snapshot was first planned, not the resume day.
    assert resumed.cursor == D(2026, 6, 15)


def test_delta_cursor_moves_over_empty_windows_but_not_past_today() -> None:
    progress = SyncProgress(cursor=D(2026, 1, 1))
    today = D(2026, 2, 10)
    windows = progress.plan(SETTINGS, today)
    for window in windows:
        progress.window_emitted(window, today)
    assert progress.cursor == today


def test_state_is_bounded_whatever_the_number_of_windows_and_fragments() -> None:
    progress = SyncProgress(cursor=D(2024, 1, 1))
    today = D(2026, 6, 1)
    windows = progress.plan(SETTINGS, today)
    assert len(windows) > 50
    for window in windows:
        job = JobInFlight(window, "all", f"job-{window.start}")
        progress.add_job(job)
        job.fragments_emitted = 500
        progress.window_emitted(window, today)
    bookmark: dict[str, object] = {}
    progress.write_to(bookmark)
    assert bookmark == {"cursor": "2026-06-01"}


def test_jobs_that_no_longer_match_the_plan_are_dropped() -> None:
    progress = SyncProgress(cursor=D(2026, 6, 1))
    stale = JobInFlight(ExportWindow("delta", D(2026, 6, 1), D(2026, 6, 3)), "all", "old", 2)
    progress.add_job(stale)
    windows = roundtrip(progress).plan(SETTINGS, D(2026, 6, 5))
    resumed = roundtrip(progress)
    resumed.plan(SETTINGS, D(2026, 6, 5))
    assert resumed.keep_only_jobs_for(windows, "all")[0].job_id == "old"
    assert resumed.jobs == []


def test_backfill_leaves_the_delta_cursor_alone() -> None:
    settings = PlanSettings(D(2024, 1, 1), D(2024, 3, 31), 30, 14, 30)
    progress = SyncProgress(cursor=D(2026, 6, 1))
    windows = progress.plan(settings, D(2026, 6, 5))
    assert [w.export_type for w in windows] == ["snapshot"] * 4
    assert windows[-1].end == D(2024, 3, 31)
    for window in windows:
        progress.window_emitted(window, D(2026, 6, 5))
    assert progress.cursor == D(2026, 6, 1)
    assert progress.snapshot is None


def test_delta_job_is_reusable_only_if_created_after_its_window_closed() -> None:
    progress = SyncProgress(cursor=D(2026, 6, 1))
    closed = ExportWindow("delta", D(2026, 6, 1), D(2026, 6, 3))
    open_today = ExportWindow("delta", D(2026, 6, 4), D(2026, 6, 5))
    today = D(2026, 6, 5)
    assert progress.reusable_since(closed, today) == dt.datetime(2026, 6, 4, tzinfo=dt.timezone.utc)
    assert progress.reusable_since(open_today, today) == dt.datetime(
        2026, 6, 5, tzinfo=dt.timezone.utc
    )
