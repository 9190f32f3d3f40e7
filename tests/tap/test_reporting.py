"""The progress bookkeeping, driven by a hand-moved clock: no HTTP, no sleeping."""

from __future__ import annotations

import threading

import pytest

from tap_peopleai.oplog.bookkeeping import (
    Cadence,
    JobStates,
    LineBudget,
    PhaseClock,
    format_duration,
)
from tap_peopleai.oplog.download_totals import DownloadTotals, Totals, format_mb
from tests.support.fake_clock import FakeClock


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.04, "0.0 s"),
        (2.25, "2.2 s"),
        (12.4, "12 s"),
        (59.6, "1 min 00 s"),
        (65, "1 min 05 s"),
        (3599, "59 min 59 s"),
        (3725, "1 h 02 min"),
        (-1, "0.0 s"),
    ],
)
def test_durations_read_as_an_operator_reads_them(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_sizes_are_decimal_megabytes() -> None:
    assert format_mb(0) == "0.0 MB"
    assert format_mb(1_881_582) == "1.9 MB"


def test_phase_clock_splits_the_time_by_phase() -> None:
    clock = FakeClock()
    phases = PhaseClock(clock)
    clock.advance(1)  # start-up
    phases.enter("queued")
    clock.advance(30)
    phases.enter("running")
    clock.advance(20)
    phases.enter("downloading")
    clock.advance(4)
    phases.enter("emitting")
    clock.advance(2)
    phases.enter("queued")
    clock.advance(10)
    spent = phases.seconds()
    assert spent == {
        "queued": 40,
        "running": 20,
        "downloading": 4,
        "emitting": 2,
        "other": 1,
    }
    clock.advance(5)  # the current phase keeps counting
    assert phases.seconds()["queued"] == 45


def test_each_state_change_is_reported_once_with_the_time_in_the_previous_state() -> None:
    clock = FakeClock()
    states = JobStates(clock)
    assert states.seen("1001", "delta 2026-06-01..2026-06-14", "Queued") is None
    clock.advance(95)
    assert states.seen("1001", "delta 2026-06-01..2026-06-14", "Queued") is None
    assert states.seen("1001", "delta 2026-06-01..2026-06-14", "queued") is None, "case varies"
    change = states.seen("1001", "delta 2026-06-01..2026-06-14", "Running")
    assert change is not None
    assert (change.previous, change.current, change.seconds_in_previous) == (
        "Queued",
        "Running",
        95,
    )
    assert change.describe() == (
        "Export job 1001 (delta 2026-06-01..2026-06-14): Queued -> Running after 1 min 35 s Queued."
    )
    assert states.seen("1001", "delta 2026-06-01..2026-06-14", "Running") is None
    clock.advance(3)
    change = states.seen("1001", "delta 2026-06-01..2026-06-14", "Completed")
    assert change is not None
    assert change.seconds_in_previous == 3


def test_jobs_in_flight_are_the_unfinished_ones_oldest_first_with_their_age() -> None:
    clock = FakeClock()
    states = JobStates(clock)
    states.seen("2", "w2", "Queued")
    states.seen("1", "w1", "Running", age=600)  # adopted: created 10 min ago by the API's clock
    states.seen("3", "w3", "Queued")
    clock.advance(30)
    states.seen("3", "w3", "Completed")
    flight = states.in_flight()
    assert [job.job_id for job in flight] == ["1", "2"]
    assert [states.age(job) for job in flight] == [630, 30]
    states.forget("1")
    assert [job.job_id for job in states.in_flight()] == ["2"]


def test_download_totals_estimate_what_is_left_from_results_size() -> None:
    totals = DownloadTotals()
    # A resumed job: 2 of its 4 fragments were emitted by the sync before, so half its size is
    # still to come.
    totals.job_completed("1001", fragments=4, results_size=40_000_000, emitted_before=2)
    totals.job_completed("1002", fragments=2, results_size=10_000_000, emitted_before=0)
    totals.job_completed("1002", fragments=2, results_size=10_000_000, emitted_before=1)  # again
    totals.fragment_downloaded(10_000_000)
    totals.fragment_emitted(records=6_000)
    now = totals.totals(active_seconds=5)
    assert now == Totals(
        fragments=1,
        fragments_known=4,
        downloaded_bytes=10_000_000,
        expected_bytes=30_000_000,
        records=6_000,
        active_seconds=5,
    )
    assert now.bytes_per_second == 2_000_000
    assert now.records_per_second == 1_200
    assert now.seconds_left == 10
    assert now.describe() == (
        "Downloaded 1 of 4 known fragment(s): 10.0 MB, 6,000 records emitted, 2.0 MB/s, "
        "1,200 records/s; about 10 s left for 20.0 MB of the Completed jobs."
    )


def test_no_estimate_without_a_size_or_before_anything_moved() -> None:
    totals = DownloadTotals()
    assert totals.totals(active_seconds=0).seconds_left is None
    totals.job_completed("1", fragments=3, results_size=None, emitted_before=0)
    totals.job_completed("2", fragments=1, results_size=1_000, emitted_before=0)
    totals.fragment_downloaded(500)
    now = totals.totals(active_seconds=1)
    assert now.expected_bytes is None
    assert now.seconds_left is None
    assert "left" not in now.describe()
    # A replaced job announces its fragments afresh; the one it replaces no longer counts.
    totals.job_dropped("1")
    assert totals.totals(active_seconds=1).fragments_known == 1


def test_more_fragments_than_announced_never_read_as_x_of_fewer() -> None:
    totals = DownloadTotals()
    totals.job_completed("1", fragments=1, results_size=None, emitted_before=0)
    for _ in range(2):  # the API's number may be the highest index, not a count
        totals.fragment_downloaded(10)
        totals.fragment_emitted(1)
    assert totals.totals(active_seconds=1).describe().startswith("Downloaded 2 of 2 known")


def test_cadence_is_due_at_most_once_per_interval_once_started() -> None:
    clock = FakeClock()
    cadence = Cadence(60, clock)
    clock.advance(120)
    assert not cadence.due(), "not started"
    cadence.start()
    clock.advance(59)
    assert not cadence.due()
    cadence.start()  # starting again does not push the due time back
    clock.advance(1)
    assert cadence.due()
    assert not cadence.due()
    clock.advance(600)  # a long gap gives one line, not ten
    assert cadence.due()
    assert not cadence.due()
    cadence.stop()
    clock.advance(600)
    assert not cadence.due()
    cadence.start()
    clock.advance(59.9)
    assert not cadence.due(), "a new start waits a whole interval"


def test_line_budget_allows_so_many_lines_in_any_minute_and_counts_the_rest() -> None:
    clock = FakeClock()
    budget = LineBudget(3, clock)
    assert [budget.allow() for _ in range(5)] == [True, True, True, False, False]
    assert budget.take_unreported() == 2
    assert budget.take_unreported() == 0
    clock.advance(59)
    assert not budget.allow()
    clock.advance(1)  # the first three lines are a minute old now
    assert [budget.allow() for _ in range(4)] == [True, True, True, False]
    assert budget.suppressed == 4
    assert budget.take_unreported() == 2


def test_line_budget_is_shared_safely_by_threads() -> None:
    budget = LineBudget(100, FakeClock())
    allowed: list[bool] = []

    def report() -> None:
        for _ in range(50):
            allowed.append(budget.allow())

    threads = [threading.Thread(target=report) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert allowed.count(True) == 100
    assert budget.suppressed == 300
