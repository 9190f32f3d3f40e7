"""Every error the tap stops with is one line: no traceback, no SDK notice before it."""

from __future__ import annotations

import pytest

from tests.support.api_client import create_job_as_another_tool
from tests.support.processes import CliRun, run_tap_cli
from tests.support.tap_runs import tap_config


def assert_one_line_error(run: CliRun, expected: str) -> None:
    assert run.returncode == 1, run.stderr[-2000:]
    errors = [line for line in run.stderr.splitlines() if "ERROR" in line]
    assert len(errors) == 1, errors
    assert expected in errors[0], errors[0]
    assert "Traceback" not in run.stderr
    assert "An unhandled error occurred" not in run.stderr
    assert "\x1b[" not in run.stderr, "no ANSI colour codes"


def _job(**fields):  # type: ignore[no-untyped-def]
    job = {
        "export_type": "delta",
        "start_date": "2026-06-01",
        "end_date": "2026-06-14",
        "activity_type": "all",
        "job_id": "1001",
        "fragments_emitted": 0,
    }
    return {**job, **fields}


def _bookmark(**bookmark):  # type: ignore[no-untyped-def]
    return {"bookmarks": {"activities": bookmark}}


BAD_STATES = [
    (_bookmark(jobs="garbage"), "bookmarks.activities.jobs: expected a list"),
    (_bookmark(jobs=["garbage"]), "bookmarks.activities.jobs[]: expected an object"),
    (_bookmark(jobs=[{"job_id": 1}]), "a job lacks export_type, start_date, end_date"),
    (_bookmark(jobs=[_job(export_type="full")]), "unknown export_type 'full'"),
    (_bookmark(jobs=[_job(fragments_emitted="x")]), "fragments_emitted must be a whole number"),
    (_bookmark(jobs=[_job(end_date="2026-05-01")]), "end_date 2026-05-01 is before start_date"),
    (_bookmark(cursor="yesterday"), "bookmarks.activities.cursor: 'yesterday' is not a date"),
    (_bookmark(cursor=20260601), "bookmarks.activities.cursor: '20260601' is not a date"),
    (_bookmark(snapshot="x"), "bookmarks.activities.snapshot: expected an object"),
    (_bookmark(snapshot={"kind": "initial"}), "snapshot.planned_on: 'None' is not a date"),
    (
        _bookmark(reconciliation={"version": 1, "planned_on": "2026-W22-1"}),
        "reconciliation.planned_on: '2026-W22-1' is not a date",
    ),
    (_bookmark(snapshot={"kind": "weird"}), "expected initial, backfill or reconcile, got 'weird'"),
    ({"bookmarks": "x"}, "at bookmarks: expected an object"),
    ({"bookmarks": {"activities": []}}, "at bookmarks.activities: expected an object"),
    (["not", "a", "state"], "it holds a JSON array, not an object"),
]


@pytest.mark.parametrize(("state", "expected"), BAD_STATES, ids=[b[1][:40] for b in BAD_STATES])
def test_malformed_state_of_any_shape_is_one_line_naming_where_and_how_to_reset(
    make_sandbox, tmp_path, state, expected
) -> None:
    sandbox = make_sandbox()
    run = run_tap_cli(tap_config(sandbox), tmp_path, state=state)
    assert_one_line_error(run, expected)
    assert "meltano state clear" in run.stderr
    assert sandbox.backend.stats()["jobs_created"] == 0


def test_an_unreadable_ca_bundle_names_the_setting(make_sandbox, tmp_path) -> None:
    sandbox = make_sandbox()
    missing = tmp_path / "no-such-ca.pem"
    run = run_tap_cli(tap_config(sandbox, ca_bundle=str(missing)), tmp_path)
    assert_one_line_error(run, "`ca_bundle` must be the path of a readable PEM file")
    assert str(missing) in run.stderr


def test_https_to_a_plain_http_server_says_the_url_is_wrong_not_the_certificate(
    make_sandbox, tmp_path
) -> None:
    sandbox = make_sandbox()
    url = sandbox.url.replace("http://", "https://")
    run = run_tap_cli(tap_config(sandbox, api_url=url), tmp_path)
    assert_one_line_error(run, "does not speak TLS")
    assert "ca_bundle" not in run.stderr


def test_a_stopping_error_has_no_sdk_notice_before_it(make_sandbox, tmp_path) -> None:
    sandbox = make_sandbox()
    run = run_tap_cli(tap_config(sandbox, client_secret="not-the-secret"), tmp_path)
    assert_one_line_error(run, "The API rejected the credentials")


def test_test_mode_checks_the_connection_and_creates_no_export_job(make_sandbox, tmp_path) -> None:
    sandbox = make_sandbox(job_run_seconds=600)
    assert create_job_as_another_tool(sandbox, "delta", "2026-06-01", "2026-06-02").ok
    before = sandbox.backend.stats()["jobs_created"]
    run = run_tap_cli(tap_config(sandbox), tmp_path, "--test")
    assert run.returncode == 0, run.stderr[-2000:]
    assert "Connection test passed" in run.stderr
    assert "1 of them queued or running (9 of 10 queue slots free" in run.stderr
    assert sandbox.backend.stats()["jobs_created"] == before
    assert not [m for m in run.messages if m["type"] == "RECORD"]


def test_test_mode_with_bad_credentials_is_one_line(make_sandbox, tmp_path) -> None:
    sandbox = make_sandbox()
    run = run_tap_cli(tap_config(sandbox, client_secret="wrong"), tmp_path, "--test")
    assert_one_line_error(run, "The API rejected the credentials")
    assert "wrong" not in run.stderr
    assert sandbox.backend.stats()["jobs_created"] == 0
