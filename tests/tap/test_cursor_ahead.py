"""A saved position ahead of the API's today stops the sync: one line names both dates.

Such a state was edited by hand, comes from another environment, or was saved while a clock was
wrong. Exporting "today only" and saving today's date would skip whatever was processed between
the last good sync and today, so the tap exports nothing, leaves the state as it is, and says
what to check. The sandbox's clock is frozen (`now`), so "ahead of it" is exact.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from tap_peopleai.state.entries import SnapshotProgress
from tap_peopleai.state.progress import SyncProgress
from tap_peopleai.state.reconciliation import ReconciliationProgress
from tests.support.processes import run_tap_cli
from tests.support.tap_runs import NOW, START, tap_config
from tests.support.truth import Warehouse
from tests.tap.test_errors import assert_one_line_error

TODAY = NOW.date()
AHEAD = TODAY + dt.timedelta(days=5)


def _error(stderr: str) -> str:
    return next(line for line in stderr.splitlines() if "ERROR" in line)


def test_a_hand_edited_cursor_ahead_of_the_api_stops_before_any_job(
    make_sandbox, tmp_path: Path
) -> None:
    sandbox = make_sandbox()
    state = {"bookmarks": {"activities": {"cursor": AHEAD.isoformat()}}}
    run = run_tap_cli(tap_config(sandbox), tmp_path, state=state)
    assert_one_line_error(run, "is ahead of the API's today")
    error = _error(run.stderr)
    assert f"cursor {AHEAD.isoformat()}" in error
    assert f"today {TODAY.isoformat()}" in error
    assert "Date header" in error
    assert "meltano state" in error
    assert sandbox.backend.stats()["jobs_created"] == 0
    saved = [m["value"] for m in run.messages if m["type"] == "STATE"]
    assert all(s["bookmarks"]["activities"]["cursor"] == AHEAD.isoformat() for s in saved)


def test_a_snapshot_planned_ahead_of_the_api_stops_too(make_sandbox, tmp_path: Path) -> None:
    sandbox = make_sandbox()
    snapshot = {
        "kind": "initial",
        "planned_on": AHEAD.isoformat(),
        "next_start": START.isoformat(),
        "last": (AHEAD + dt.timedelta(days=60)).isoformat(),
    }
    state = {"bookmarks": {"activities": {"snapshot": snapshot}}}
    run = run_tap_cli(tap_config(sandbox), tmp_path, state=state)
    assert_one_line_error(run, "is ahead of the API's today")
    assert f"{AHEAD.isoformat()}" in _error(run.stderr)
    assert sandbox.backend.stats()["jobs_created"] == 0


def test_after_a_wrong_server_clock_the_rerun_from_the_last_good_cursor_delivers_the_truth(
    make_sandbox, tmp_path: Path
) -> None:
    # The last sync while the API's clock was right.
    sandbox = make_sandbox()
    good = run_tap_cli(tap_config(sandbox), tmp_path / "good")
    assert good.returncode == 0, good.stderr[-2000:]
    good_state = [m["value"] for m in good.messages if m["type"] == "STATE"][-1]
    good_cursor = good_state["bookmarks"]["activities"]["cursor"]
    assert good_cursor == TODAY.isoformat()

    # A sync against the same API while its clock ran five days ahead saved a cursor from then.
    ahead = make_sandbox(now=NOW + dt.timedelta(days=5))
    wrong = run_tap_cli(tap_config(ahead), tmp_path / "wrong", state=good_state)
    assert wrong.returncode == 0, wrong.stderr[-2000:]
    wrong_state = [m["value"] for m in wrong.messages if m["type"] == "STATE"][-1]
    assert wrong_state["bookmarks"]["activities"]["cursor"] == AHEAD.isoformat()

    # The clock is right again, two days later: the tap refuses to skip the days in between.
    sandbox.advance(days=2)
    stopped = run_tap_cli(tap_config(sandbox), tmp_path / "stopped", state=wrong_state)
    assert_one_line_error(stopped, "is ahead of the API's today")
    assert (TODAY + dt.timedelta(days=2)).isoformat() in _error(stopped.stderr)
    jobs_before = sandbox.backend.stats()["jobs_created"]

    # As the line says: the cursor set back to the last day the clock was right.
    fixed = {"bookmarks": {"activities": {"cursor": good_cursor}}}
    rerun = run_tap_cli(tap_config(sandbox), tmp_path / "rerun", state=fixed)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert sandbox.backend.stats()["jobs_created"] > jobs_before
    warehouse = Warehouse()
    warehouse.load_messages(good.messages + rerun.messages)
    warehouse.assert_equals(sandbox.backend.ground_truth(activity_from=START))


def test_only_days_that_mark_processing_count_as_ahead() -> None:
    later = dt.datetime.combine(AHEAD, dt.time(), tzinfo=dt.timezone.utc)
    progress = SyncProgress(
        cursor=TODAY,
        # A backfill's planned_on is its first activity day, not a processing date.
        snapshot=SnapshotProgress("backfill", AHEAD, AHEAD, AHEAD + dt.timedelta(days=9)),
        reconciliation=ReconciliationProgress.start(later, AHEAD),
    )
    assert progress.days_ahead_of(TODAY) == [("reconciliation.planned_on", AHEAD)]
    assert progress.days_ahead_of(AHEAD) == []
