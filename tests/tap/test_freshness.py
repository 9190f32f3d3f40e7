"""Every sync delivers what People.ai had processed when it started, whatever the cadence."""

from __future__ import annotations

import pytest

from tests.support.tap_runs import START, run_tap, tap_config
from tests.support.truth import Warehouse


@pytest.mark.parametrize("minutes_between_runs", [60, 5, 0])
def test_syncs_within_one_day_each_deliver_what_was_ingested_before_they_started(
    make_sandbox, minutes_between_runs: int
) -> None:
    sandbox = make_sandbox(activities_per_day=200)
    warehouse = Warehouse()
    first = run_tap(tap_config(sandbox))
    warehouse.load(first)
    state = first.final_state
    for _ in range(4):  # 12:00 + 4 x 60 min: still the same day by the API's clock
        sandbox.advance(seconds=60 * minutes_between_runs)
        before = sandbox.backend.stats()["jobs_created"]
        result = run_tap(tap_config(sandbox), state)
        warehouse.load(result)
        warehouse.assert_equals(sandbox.backend.ground_truth(activity_from=START))
        created = sandbox.backend.stats()["jobs_created"] - before
        assert created == 1, "a finished sync's job for today is never reused"
        state = result.final_state


def _interrupted_delta(make_sandbox):  # type: ignore[no-untyped-def]
    """A first sync, then a delta sync an hour later, and its STATE right after it made its job."""
    sandbox = make_sandbox(activities_per_day=200)
    first = run_tap(tap_config(sandbox))
    sandbox.advance(seconds=3600)
    delta = run_tap(tap_config(sandbox), first.final_state)
    in_flight = [s for s in delta.states if s["bookmarks"]["activities"].get("jobs")]
    assert in_flight, "the delta sync checkpoints its job before waiting on it"
    return sandbox, first, delta, in_flight[0]


@pytest.mark.parametrize(("minutes_later", "reused"), [(5, True), (20, False)])
def test_an_interrupted_sync_resumes_its_open_window_job_only_within_minutes(
    make_sandbox, minutes_later: int, reused: bool
) -> None:
    sandbox, first, delta, state = _interrupted_delta(make_sandbox)
    sandbox.advance(seconds=60 * minutes_later)
    before = sandbox.backend.stats()["jobs_created"]
    resumed = run_tap(tap_config(sandbox), state)
    assert (sandbox.backend.stats()["jobs_created"] == before) is reused
    if reused:
        # The same job, so the same records: what was processed up to minutes ago.
        assert sorted(r["uid"] for r in resumed.records) == sorted(r["uid"] for r in delta.records)
    else:
        warehouse = Warehouse()
        warehouse.load(first)
        warehouse.load(resumed)
        warehouse.assert_equals(sandbox.backend.ground_truth(activity_from=START))
