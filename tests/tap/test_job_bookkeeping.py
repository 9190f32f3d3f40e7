"""Reading job objects whichever way the API spells them."""

from __future__ import annotations

import datetime as dt

import pytest

from tap_peopleai.api.jobs import ApiJob, parse_api_time
from tap_peopleai.settings.objects import PipelineSettings
from tap_peopleai.state.windows import ExportWindow


@pytest.mark.parametrize(
    ("job", "expected"),
    [
        ({"fragment": 3}, 3),
        ({"fragments": "7"}, 7),
        ({"fragment": None}, 0),
        ({}, 0),
        ({"fragment": -1}, 0),
        ({"fragment": True}, 0),
        ({"fragment": 2.5}, 0),
        ({"fragment": "\u00b2"}, 0),  # a digit to str.isdigit, not to int(): no crash
    ],
)
def test_fragment_number_is_read_from_either_field(job, expected) -> None:  # type: ignore[no-untyped-def]
    assert ApiJob.from_api(job).fragments_reported == expected


def test_jobs_match_windows_whatever_the_case_of_their_enums() -> None:
    window = ExportWindow("delta", dt.date(2026, 1, 1), dt.date(2026, 1, 14))
    job = {
        "export_type": "Delta",
        "activity_type": "All",
        "start_date": "2026-01-01",
        "end_date": "2026-01-14",
        "state": "COMPLETED",
        "job_id": 5,
    }
    assert ApiJob.from_api(job).exports(window, "all")
    assert ApiJob.from_api(job).state == "completed"
    assert not ApiJob.from_api({**job, "end_date": "2026-01-13"}).exports(window, "all")
    assert not ApiJob.from_api(job).exports(window, "email")


@pytest.mark.parametrize(
    "text", ["2026-01-02T03:04:05Z", "2026-01-02T03:04:05", "2026-01-02T03:04:05+00:00"]
)
def test_job_times_are_utc_with_or_without_zone(text: str) -> None:
    assert parse_api_time(text) == dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)


def test_unreadable_job_times_are_none() -> None:
    assert parse_api_time("soon") is None
    assert parse_api_time(None) is None


def test_reserved_queue_slots_bound_the_jobs_kept_ahead() -> None:
    settings = PipelineSettings("all", 1.0, 60.0, reserved_queue_slots=2, download_workers=4)
    assert settings.max_jobs_ahead == 8
    assert PipelineSettings("all", 1.0, 60.0, 9, 4).max_jobs_ahead == 1


COMPLETED = {"job_id": 5, "state": "Completed", "results_size": 1200, "fragment": 2}


@pytest.mark.parametrize(
    ("job", "problem"),
    [
        (COMPLETED, None),
        ({**COMPLETED, "state": "completed", "results_size": "1200"}, None),
        ({**COMPLETED, "fragment": None}, None),
        ({"state": "Queued", "results_size": None}, None),
        ({"state": "Cancelled"}, None),
        ({"state": "Expired"}, "answered state 'Expired', which is not a documented job state"),
        ({"state": 3}, "answered state 3, which is not a documented job state"),
        ({"job_id": 5}, "answered without a `state`"),
        ({**COMPLETED, "results_size": None}, "results_size None, not a whole number of bytes"),
        ({**COMPLETED, "results_size": -4}, "results_size -4, not a whole number of bytes"),
        ({**COMPLETED, "results_size": 12.5}, "results_size 12.5, not a whole number of bytes"),
        ({**COMPLETED, "results_size": True}, "results_size True, not a whole number of bytes"),
        ({**COMPLETED, "fragment": "two"}, "fragment 'two', not a whole number"),
    ],
)
def test_only_documented_states_and_readable_sizes_mean_what_they_say(job, problem) -> None:  # type: ignore[no-untyped-def]
    read = ApiJob.from_api(job)
    if problem is None:
        assert read.problem is None
        return
    assert read.problem is not None
    assert problem in read.problem
    assert read.has_failed
    assert not read.is_active
    assert not read.is_completed
    assert read.failure == read.problem
