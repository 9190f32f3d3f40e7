"""Whole syncs over real HTTP against the sandbox, compared with its ground truth uid by uid."""

from __future__ import annotations

import datetime as dt

import pytest

from peopleai_sandbox import Variants
from tests.support.tap_runs import NOW, START, run_tap, tap_config
from tests.support.times import parse_emitted
from tests.support.truth import Warehouse


def test_first_sync_delivers_every_activity_including_scheduled_meetings(make_sandbox) -> None:
    sandbox = make_sandbox()
    result = run_tap(tap_config(sandbox))
    warehouse = Warehouse()
    warehouse.load(result)
    truth = sandbox.backend.ground_truth(activity_from=START)
    warehouse.assert_equals(truth)
    assert warehouse.received == len(truth), "a first sync emits each activity exactly once"
    future = [r for r in result.records if parse_emitted(r["timestamp"]) > NOW]
    assert future, "scheduled meetings dated after today must be part of the first sync"
    assert {r["type"] for r in future} == {"meeting"}
    # The snapshot hands over to deltas from the day it was planned, with nothing in flight.
    assert result.bookmark["cursor"] == NOW.date().isoformat()
    assert "jobs" not in result.bookmark
    assert "snapshot" not in result.bookmark


def test_later_syncs_deliver_new_and_reprocessed_activities(make_sandbox) -> None:
    sandbox = make_sandbox(reprocess_rate=0.3)
    warehouse = Warehouse()
    first = run_tap(tap_config(sandbox))
    warehouse.load(first)
    sandbox.advance(days=3, seconds=3600)
    second = run_tap(tap_config(sandbox), first.final_state)
    warehouse.load(second)
    warehouse.assert_equals(sandbox.backend.ground_truth(activity_from=START))
    uids_first = {r["uid"] for r in first.records}
    updated = [r for r in second.records if r["uid"] in uids_first]
    assert updated, "re-processed activities must arrive again with their new content"
    assert {r["uid"] for r in second.records} - uids_first, "new activities must arrive"
    today = (NOW + dt.timedelta(days=3, seconds=3600)).date()
    # Today is still being processed: the cursor stays on it.
    assert second.bookmark["cursor"] == today.isoformat()


def test_a_pause_longer_than_two_weeks_is_caught_up_in_one_run(make_sandbox) -> None:
    sandbox = make_sandbox()
    warehouse = Warehouse()
    first = run_tap(tap_config(sandbox))
    warehouse.load(first)
    sandbox.advance(days=37)
    before = sandbox.backend.stats()["jobs_created"]
    second = run_tap(tap_config(sandbox, delta_window_days=14), first.final_state)
    warehouse.load(second)
    warehouse.assert_equals(sandbox.backend.ground_truth(activity_from=START))
    created = sandbox.backend.stats()["jobs_created"] - before
    assert created == 3, "38 days (today included) need three delta windows of at most 14 days"
    assert second.bookmark["cursor"] == (NOW + dt.timedelta(days=37)).date().isoformat()


def test_empty_windows_still_move_the_cursor(make_sandbox) -> None:
    # No activity is processed before the universe's epoch: every window here is empty.
    sandbox = make_sandbox(epoch=NOW + dt.timedelta(days=400))
    state = {"bookmarks": {"activities": {"cursor": "2026-05-01"}}}
    result = run_tap(tap_config(sandbox), state)
    assert result.records == []
    assert result.bookmark["cursor"] == NOW.date().isoformat()


def test_records_dated_before_start_date_are_not_emitted(make_sandbox) -> None:
    sandbox = make_sandbox(reprocess_rate=0.5)
    start = NOW.date() - dt.timedelta(days=5)
    state = {
        "bookmarks": {"activities": {"cursor": (NOW.date() - dt.timedelta(days=20)).isoformat()}}
    }
    result = run_tap(tap_config(sandbox, start_date=start.isoformat()), state)
    assert result.records
    assert min(r["timestamp"][:10] for r in result.records) >= start.isoformat()


def test_bounded_backfill_exports_only_its_dates_and_keeps_the_cursor(make_sandbox) -> None:
    sandbox = make_sandbox()
    state = {"bookmarks": {"activities": {"cursor": "2026-06-10"}}}
    config = tap_config(
        sandbox, start_date="2026-04-10", end_date="2026-04-30", snapshot_window_days=7
    )
    result = run_tap(config, state)
    warehouse = Warehouse()
    warehouse.load(result)
    truth = sandbox.backend.ground_truth(
        activity_from=dt.date(2026, 4, 10), activity_to=dt.date(2026, 4, 30)
    )
    warehouse.assert_equals(truth)
    assert result.bookmark["cursor"] == "2026-06-10"
    assert sandbox.backend.stats()["jobs_created"] == 3


VARIANTS = [
    Variants(fragment_field="fragments"),
    Variants(fragment_value="highest_index"),
    Variants(fragment_value="highest_index", fragment_empty="absent", fragment_field="fragments"),
    Variants(data_without_fragment="first"),
    Variants(job_id_type="str"),
    Variants(timestamp_style="naive"),
    Variants(timestamp_style="fractional"),
    Variants(timestamp_style="mixed"),
    Variants(gzip=True),
    Variants(redirect_downloads=True),
    Variants(redirect_downloads=True, gzip=True),
    Variants(line_noise=True),
    Variants(error_shape="spring"),
    Variants(enum_case_insensitive=True),
]


@pytest.mark.parametrize("variants", VARIANTS, ids=lambda v: repr(v).split("(", 1)[1][:60])
def test_every_api_variant_delivers_everything_exactly_once(make_sandbox, variants) -> None:
    sandbox = make_sandbox(variants=variants)
    result = run_tap(tap_config(sandbox))
    warehouse = Warehouse()
    warehouse.load(result)
    truth = sandbox.backend.ground_truth(activity_from=START)
    warehouse.assert_equals(truth)
    assert warehouse.received == len(truth)
    for record in result.records:
        for key in ("timestamp", "ingest_timestamp", "start_time", "end_time"):
            if record.get(key) is not None:
                parse_emitted(record[key])


def test_empty_export_with_either_fragment_convention(make_sandbox) -> None:
    for variants in (Variants(fragment_empty="absent"), Variants(fragment_value="highest_index")):
        sandbox = make_sandbox(variants=variants, epoch=NOW + dt.timedelta(days=400))
        result = run_tap(tap_config(sandbox))
        assert result.records == []
        assert result.bookmark["cursor"] == NOW.date().isoformat()
