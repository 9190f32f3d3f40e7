"""The progress lines and METRIC points, written with a hand-moved clock: no HTTP, no sleeping."""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

import pytest
import requests

from tap_peopleai.errors import ApiError, DownloadIncompleteError, RetriableApiError
from tap_peopleai.oplog.bookkeeping import PHASES
from tap_peopleai.oplog.retry_log import RETRY_LINES_PER_MINUTE, RetryLog, describe_failure
from tap_peopleai.oplog.sync_log import SyncLog
from tap_peopleai.state.entries import JobInFlight
from tap_peopleai.state.windows import ExportWindow
from tests.support.fake_clock import FakeClock

WINDOW = ExportWindow("delta", dt.date(2026, 6, 1), dt.date(2026, 6, 14))
LATER = ExportWindow("delta", dt.date(2026, 6, 15), dt.date(2026, 6, 15))
COUNTERS = {"jobs_created": 1, "jobs_reused": 1, "jobs_replaced": 0}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def report(clock: FakeClock) -> SyncLog:
    logger = logging.getLogger("test-sync-log")
    retries = RetryLog(logger, clock)
    return SyncLog(logger, logging.getLogger("test-sync-log.metrics"), 60, retries, clock=clock)


def lines(caplog: pytest.LogCaptureFixture, name: str = "test-sync-log") -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == name]


def points(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    texts = lines(caplog, "test-sync-log.metrics")
    assert all(text.startswith("METRIC: ") for text in texts)
    return [json.loads(text.removeprefix("METRIC: ")) for text in texts]


def test_the_plan_line_comes_first_and_notes_about_jobs_follow_it(
    report: SyncLog, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    resumed = JobInFlight(WINDOW, "all", "1001", fragments_emitted=3)
    report.note("Resuming job %s (%s) after %d emitted fragment(s).", "1001", "w", 3)
    report.plan([WINDOW, LATER], [resumed], dt.date(2026, 6, 15), 8)
    report.note("A note after the plan is written at once.")
    assert lines(caplog) == [
        "Plan: 2 delta window(s) (today is 2026-06-15 by the API's clock): delta "
        "2026-06-01..2026-06-14, delta 2026-06-15..2026-06-15. Jobs: 1 to resume (1001 after 3 "
        "fragment(s)), 1 to create; at most 8 of them queued or running at once.",
        "Resuming job 1001 (w) after 3 emitted fragment(s).",
        "A note after the plan is written at once.",
    ]


def test_an_empty_plan_says_so(report: SyncLog, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    report.plan([], [], dt.date(2026, 6, 15), 8)
    assert lines(caplog) == ["Plan: nothing to export (today is 2026-06-15 by the API's clock)."]


def test_a_state_change_is_one_line_and_one_job_duration_point(
    report: SyncLog, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    job = JobInFlight(WINDOW, "all", "1001")
    report.job_seen(job, "Queued", age=0)
    clock.advance(42)
    for _ in range(3):  # polled again and again: still one line
        report.job_seen(job, "Running")
    clock.advance(8)
    report.job_seen(job, "Completed", detail="3 fragment(s)")
    assert lines(caplog) == [
        "Export job 1001 (delta 2026-06-01..2026-06-14): Queued -> Running after 42 s Queued.",
        "Export job 1001 (delta 2026-06-01..2026-06-14): Running -> Completed after 8.0 s "
        "Running (3 fragment(s)).",
    ]
    first, second = points(caplog)
    assert first == {
        "type": "timer",
        "metric": "job_duration",
        "value": 42,
        "tags": {
            "stream": "activities",
            "job_id": "1001",
            "job_type": "delta",
            "window": "delta 2026-06-01..2026-06-14",
            "state": "queued",
            "next_state": "running",
        },
    }
    assert (second["value"], second["tags"]["state"]) == (8, "running")


def test_heartbeats_come_once_per_interval_while_waiting_and_name_every_job(
    report: SyncLog, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    report.job_seen(JobInFlight(WINDOW, "all", "1001"), "Running", age=300)
    report.job_seen(JobInFlight(LATER, "all", "1002"), "Queued", age=0)
    report.start_waiting("running")
    clock.advance(59)
    assert not report.heartbeat_due()
    clock.advance(1)
    assert report.heartbeat_due()
    assert not report.heartbeat_due()
    for _ in range(RETRY_LINES_PER_MINUTE + 2):
        report.retries.hook("reading the status of job 1001", 8)(
            {"tries": 1, "wait": 0.5, "exception": RetriableApiError("x", 503, "busy")}  # type: ignore[typeddict-item]
        )
    caplog.clear()
    report.waiting("export job 1001 (delta 2026-06-01..2026-06-14) to complete", "running", 2)
    assert lines(caplog) == [
        "Waiting for export job 1001 (delta 2026-06-01..2026-06-14) to complete: 2 job(s) in "
        "flight (1001 Running for 1 min 00 s, age 6 min 00 s; 1002 Queued for 1 min 00 s, age "
        "1 min 00 s); other tools hold 2 of the 10 queue slots; 2 more retries, not logged one "
        "by one."
    ]
    (point,) = points(caplog)
    assert point["metric"] == "export_job_wait"
    assert point["value"] == 60
    assert point["tags"] | {"waiting_for": "-"} == {
        "stream": "activities",
        "waiting_for": "-",
        "state": "running",
        "jobs_queued": 1,
        "jobs_running": 1,
        "other_tools_slots": 2,
    }
    report.stop_waiting()
    clock.advance(120)
    report.start_waiting("queued")
    assert not report.heartbeat_due(), "a new wait gets its first heartbeat an interval later"


def test_queue_full_is_said_once_per_window(
    report: SyncLog, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    for _ in range(3):
        report.queue_full(WINDOW, ApiError("x", 429, "too many jobs"))
    report.queue_full(LATER, ApiError("x", 429, "too many jobs"))
    assert len(lines(caplog)) == 2
    assert lines(caplog)[0] == (
        "The export queue is full (HTTP 429: too many jobs); waiting to create delta "
        "2026-06-01..2026-06-14."
    )


def test_totals_come_at_most_once_per_interval_and_only_when_they_moved(
    report: SyncLog, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    job = JobInFlight(WINDOW, "all", "1001")
    report.job_completed(job, fragments=10, results_size=20_000_000)
    looks: list[int] = []  # the caller looks at the queue when the log says the time came

    def emitted(records: int) -> None:
        if report.fragment_emitted(records=records):
            looks.append(1)

    for _ in range(4):  # a small export inside one interval: no totals line at all
        report.phase("downloading")
        clock.advance(4)
        report.fragment_downloaded(2_000_000)
        report.phase("emitting")
        clock.advance(1)
        emitted(1_000)
    assert lines(caplog) == []
    report.phase("downloading")
    clock.advance(44)  # downloads began 64 s ago
    report.fragment_downloaded(2_000_000)
    report.phase("emitting")
    emitted(1_000)
    assert looks == [1], "the queue is looked at with the totals line"
    assert lines(caplog) == [
        "Downloaded 5 of 10 known fragment(s): 10.0 MB, 5,000 records emitted, 0.2 MB/s, "
        "78 records/s; about 1 min 04 s left for 10.0 MB of the Completed jobs."
    ]
    fragments, size = points(caplog)
    assert (fragments["metric"], fragments["value"]) == ("fragment_count", 5)
    assert (size["metric"], size["value"]) == ("download_bytes", 10_000_000)
    assert fragments["tags"]["fragments_known"] == 10
    assert fragments["tags"]["records_total"] == 5_000
    assert fragments["tags"]["seconds_left"] == 64
    clock.advance(120)
    emitted(0)  # an empty fragment: no byte moved, no line
    assert len(lines(caplog)) == 1
    assert looks == [1, 1]


def test_a_slow_download_still_gets_its_totals_line_with_the_partial_bytes(
    report: SyncLog, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    report.job_completed(JobInFlight(WINDOW, "all", "1001"), fragments=2, results_size=8_000_000)
    report.phase("downloading")
    clock.advance(30)
    report.downloading(1_500_000)
    assert lines(caplog) == []
    clock.advance(30)
    report.downloading(3_000_000)  # one fragment, half-way, after a minute
    assert lines(caplog) == [
        "Downloaded 0 of 2 known fragment(s): 0.0 MB (+3.0 MB of fragments still downloading), "
        "0 records emitted, 0.1 MB/s, 0 records/s; about 1 min 40 s left for 5.0 MB of the "
        "Completed jobs."
    ]
    fragments, size = points(caplog)
    assert fragments["value"] == size["value"] == 0, "counters count finished fragments only"
    assert size["tags"]["bytes_in_progress"] == 3_000_000
    clock.advance(60)
    report.downloading(3_000_000)  # stalled: nothing moved, no line
    assert len(lines(caplog)) == 1


def test_the_summary_says_what_the_sync_did_and_where_the_time_went(
    report: SyncLog, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    clock.advance(1)
    report.start_waiting("queued")
    clock.advance(100)
    report.start_waiting("running")
    clock.advance(50)
    report.stop_waiting()
    report.phase("downloading")
    clock.advance(6)
    report.fragment_downloaded(3_500_000)
    report.phase("emitting")
    clock.advance(3)
    report.fragment_emitted(records=2_000)
    report.summary(COUNTERS, outside_dates=7)
    assert lines(caplog) == [
        "Sync finished: 1 job(s) created, 1 reused, 0 replaced; 1 fragment(s), 3.5 MB, 2,000 "
        "records emitted; 7 records dated outside start_date..end_date, not emitted; "
        "retries: 0; 2 min 40 s in all: 1 min 40 s waiting on queued jobs, 50 s on running "
        "jobs, 6.0 s downloading, 3.0 s emitting."
    ]
    by_metric: dict[str, list[dict[str, Any]]] = {}
    for point in points(caplog):
        by_metric.setdefault(point["metric"], []).append(point)
    assert [p["value"] for p in by_metric["fragment_count"]] == [1]
    assert [p["value"] for p in by_metric["download_bytes"]] == [3_500_000]
    counts = {m: [p["value"] for p in by_metric[m]] for m in by_metric if m.startswith("export")}
    assert counts == {
        "export_jobs_created": [1],
        "export_jobs_reused": [1],
        "export_jobs_replaced": [0],
    }
    assert [by_metric[f"{phase}_duration"][0]["value"] for phase in PHASES] == [100, 50, 6, 3]
    assert "retry_count" not in by_metric


def test_retries_say_what_failed_attempt_n_of_n_and_the_wait(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="test-retries")
    retries = RetryLog(logging.getLogger("test-retries"), clock)
    hook = retries.hook("downloading fragment 3 of job 1001", 8)
    for tries in range(1, RETRY_LINES_PER_MINUTE + 3):
        hook({"tries": tries, "wait": 1.25, "exception": requests.ConnectionError("x")})  # type: ignore[typeddict-item]
    records = [r for r in caplog.records if r.name == "test-retries"]
    assert records[0].getMessage() == (
        "Retrying in 1.25 s, attempt 2 of 8: downloading fragment 3 of job 1001 failed: could "
        "not connect or the connection dropped (ConnectionError)."
    )
    levels = [r.levelno for r in records]
    assert levels == [logging.INFO] * RETRY_LINES_PER_MINUTE + [logging.DEBUG] * 2
    assert retries.retries == RETRY_LINES_PER_MINUTE + 2
    assert retries.budget.take_unreported() == 2


def test_failures_are_described_without_urls_or_exception_texts() -> None:
    presigned = "https://storage.example/f?X-Amz-Signature=abc123"
    doing = "downloading fragment 3 of job 1001"
    assert describe_failure(requests.ConnectionError(f"refused: {presigned}"), doing) == (
        "could not connect or the connection dropped (ConnectionError)"
    )
    assert describe_failure(requests.ReadTimeout(presigned), doing) == (
        "no answer in time (ReadTimeout)"
    )
    chunked = requests.exceptions.ChunkedEncodingError(presigned)
    assert "abc123" not in describe_failure(chunked, doing)
    assert describe_failure(RetriableApiError("x", 502, "bad_gateway: Bad gateway"), doing) == (
        "HTTP 502 (bad_gateway: Bad gateway)"
    )
    assert describe_failure(RetriableApiError("x", 500), doing) == "HTTP 500"
    cut_short = DownloadIncompleteError(f"{doing} ended after 10 of 20 bytes")
    assert describe_failure(cut_short, doing) == "ended after 10 of 20 bytes"
    assert describe_failure(KeyError(presigned), doing) == "KeyError"
