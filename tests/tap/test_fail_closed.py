"""Fail closed: answers that look whole and are not never end a sync with exit 0.

Each case makes the sandbox spoil every download of a fragment (or every job) one way, runs the
tap as a process, and shows: exit 1 with one line naming what failed, no fragment of the spoiled
download acknowledged by a STATE message, and a rerun from the last STATE, with the API well
again, delivers the ground truth.
"""

from __future__ import annotations

from typing import Any

import pytest

from peopleai_sandbox import Faults
from peopleai_sandbox.settings.mutations import Mutation
from tests.support.processes import CliRun, one_error_line, run_tap_cli
from tests.support.tap_runs import START, tap_config
from tests.support.truth import Warehouse

SPOILED_DOWNLOADS: dict[str, tuple[dict[str, Any], str]] = {
    "truncated-gzip": (
        {"truncated_gzip_rate": 1.0},
        "fragment 0 of job 1001: it stayed incomplete (its gzip stream ended early",
    ),
    "empty-200": (
        {"empty_download_rate": 1.0},
        "fragment 0 of job 1001: it stayed incomplete (it answered an empty body",
    ),
    "short-plain-body": (
        {"short_download_rate": 1.0},
        "short of the",
    ),
    "endless-redirects": (
        {"endless_redirect_rate": 1.0},
        "fragment 0 of job 1001: it stayed incomplete (it was redirected more than 5 times",
    ),
    "empty-302": (
        {"empty_redirect_rate": 1.0},
        "fragment 0 of job 1001: it stayed incomplete (its redirect target answered HTTP 302",
    ),
    "redirect-to-500": (
        {"mutations": (Mutation("data", times=1000, redirects=2, status=500),)},
        "HTTP 500 from the storage the API redirected to while downloading fragment 0",
    ),
    "redirect-to-403": (
        {"mutations": (Mutation("data", times=1000, redirects=1, status=403),)},
        "HTTP 403 from the storage the API redirected to while downloading fragment 0",
    ),
}

SPOILED_JOBS: dict[str, tuple[dict[str, Any], str]] = {
    "unknown-state": (
        {"unknown_state_rate": 1.0},
        "answered state 'Expired', which is not a documented job state",
    ),
    "missing-state": ({"missing_state_rate": 1.0}, "answered without a `state`"),
    "unreadable-results-size": (
        {"mutations": (Mutation("status", times=1000, json_set=(("results_size", "big"),)),)},
        "results_size",
    ),
}


def _bookmark(run: CliRun) -> dict[str, Any]:
    states = [m["value"] for m in run.messages if m["type"] == "STATE"]
    return states[-1]["bookmarks"]["activities"] if states else {}


def _rerun_delivers_the_truth(sandbox: Any, first: CliRun, tmp_path: Any) -> None:
    sandbox.set_faults(Faults())
    states = [m["value"] for m in first.messages if m["type"] == "STATE"]
    second = run_tap_cli(
        tap_config(sandbox), tmp_path / "rerun", state=states[-1] if states else None
    )
    assert second.returncode == 0, second.stderr[-3000:]
    warehouse = Warehouse()
    warehouse.load_messages(first.messages)
    warehouse.load_messages(second.messages)
    warehouse.assert_equals(sandbox.backend.ground_truth(activity_from=START))


@pytest.mark.parametrize("case", SPOILED_DOWNLOADS, ids=list(SPOILED_DOWNLOADS))
def test_a_download_that_stays_incomplete_stops_the_sync_acknowledging_nothing_of_it(
    make_sandbox, tmp_path, case
) -> None:
    faults, expected = SPOILED_DOWNLOADS[case]
    sandbox = make_sandbox(faults=Faults(persistent_download_faults=True, **faults))
    first = run_tap_cli(tap_config(sandbox), tmp_path / "first")
    assert first.returncode == 1, first.stderr[-3000:]
    line = one_error_line(first)
    assert expected in line
    assert "job 1001" in line
    bookmark = _bookmark(first)
    assert "cursor" not in bookmark
    # no STATE claims a fragment of the spoiled job at the end
    assert all(job["fragments_emitted"] == 0 for job in bookmark.get("jobs", []))
    if case != "short-plain-body":  # only results_size shows a short body: after its records
        assert not [m for m in first.messages if m["type"] == "RECORD"]
    _rerun_delivers_the_truth(sandbox, first, tmp_path)


@pytest.mark.parametrize("case", SPOILED_JOBS, ids=list(SPOILED_JOBS))
def test_a_job_whose_state_cannot_be_read_is_replaced_then_named(
    make_sandbox, tmp_path, case
) -> None:
    faults, expected = SPOILED_JOBS[case]
    sandbox = make_sandbox(faults=Faults(**faults))
    first = run_tap_cli(tap_config(sandbox), tmp_path / "first")
    assert first.returncode == 1, first.stderr[-3000:]
    line = one_error_line(first)
    assert expected in line
    assert "1002" in line
    assert "after job 1001" in line
    assert not [m for m in first.messages if m["type"] == "RECORD"]
    assert "cursor" not in _bookmark(first)
    _rerun_delivers_the_truth(sandbox, first, tmp_path)


@pytest.mark.parametrize(
    "faults",
    [
        {"truncated_gzip_rate": 1.0},
        {"empty_download_rate": 1.0},
        {"short_download_rate": 0.05},
        {"endless_redirect_rate": 1.0},
        {"empty_redirect_rate": 1.0},
        # every download through 5 redirect hops (the most the tap follows) to its body
        {"mutations": (Mutation("data", times=1000, redirects=5),)},
        # seed 2: three of the first five jobs end so, none of their replacements
        {"unknown_state_rate": 0.3, "seed": 2},
        {"missing_state_rate": 0.3, "seed": 2},
    ],
    ids=lambda faults: next(iter(faults)),
)
def test_spoiled_answers_that_a_retry_fixes_lose_nothing(make_sandbox, tmp_path, faults) -> None:
    settings = dict(faults)
    seed = settings.pop("seed", 4)
    sandbox = make_sandbox(faults=Faults(**settings), seed=seed)
    run = run_tap_cli(tap_config(sandbox, snapshot_window_days=30), tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    warehouse = Warehouse()
    warehouse.load_messages(run.messages)
    warehouse.assert_equals(sandbox.backend.ground_truth(activity_from=START))
    assert sandbox.backend.stats()["faults_injected"] > 0
