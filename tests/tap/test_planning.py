"""Window planning: consecutive whole days, no gap, no overlap, bounded sizes."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from tap_peopleai.state.windows import (
    ExportWindow,
    cursor_after,
    plan_delta_windows,
    plan_snapshot_windows,
)

D = dt.date


def assert_consecutive(windows: list[ExportWindow], first: dt.date, last: dt.date) -> None:
    assert windows[0].start == first
    assert windows[-1].end == last
    for before, after in itertools.pairwise(windows):
        assert after.start == before.end + dt.timedelta(days=1)


def test_snapshot_windows_cover_range_in_chunks_of_at_most_max_days() -> None:
    windows = plan_snapshot_windows(D(2024, 1, 1), D(2025, 6, 30), 365)
    assert [w.days for w in windows] == [365, 182]
    assert all(w.export_type == "snapshot" for w in windows)
    assert_consecutive(windows, D(2024, 1, 1), D(2025, 6, 30))


def test_delta_windows_after_a_pause_of_weeks_catch_up_in_one_plan() -> None:
    windows = plan_delta_windows(D(2026, 1, 1), D(2026, 3, 2), 14)
    assert len(windows) == 5
    assert max(w.days for w in windows) == 14
    assert windows[-1].end == D(2026, 3, 2)
    assert_consecutive(windows, D(2026, 1, 1), D(2026, 3, 2))


def test_delta_plan_always_re_exports_today() -> None:
    assert plan_delta_windows(D(2026, 3, 2), D(2026, 3, 2), 14) == [
        ExportWindow("delta", D(2026, 3, 2), D(2026, 3, 2))
    ]
    # A cursor ahead of the server's today (clock skew) still exports today, never the future.
    assert plan_delta_windows(D(2026, 3, 5), D(2026, 3, 2), 14)[0].start == D(2026, 3, 2)


def test_cursor_never_passes_today() -> None:
    today = D(2026, 3, 2)
    assert cursor_after(ExportWindow("delta", D(2026, 2, 1), D(2026, 2, 14)), today) == D(
        2026, 2, 15
    )
    assert cursor_after(ExportWindow("delta", D(2026, 2, 20), today), today) == today


@pytest.mark.parametrize(
    ("planner", "days"),
    [(plan_delta_windows, 15), (plan_snapshot_windows, 366), (plan_delta_windows, 0)],
)
def test_window_sizes_beyond_the_api_limits_are_refused(planner, days) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="window"):
        planner(D(2026, 1, 1), D(2026, 2, 1), days)


def test_window_rejects_end_before_start() -> None:
    with pytest.raises(ValueError, match="before its start"):
        ExportWindow("delta", D(2026, 1, 2), D(2026, 1, 1))
