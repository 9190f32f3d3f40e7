"""Settings on the command line: `tap-peopleai --config ENV`, and discovery, as users run them.

`--config ENV` hands every value over as text, so the tap must read "0.02", "1" and "true" as
numbers and booleans, and name the setting of any value it cannot read, before any HTTP call.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.processes import run_tap_cli, run_with_env_config
from tests.support.tap_runs import START, env_settings, tap_config


def _records(stdout: str) -> list[dict[str, Any]]:
    messages = [json.loads(line) for line in stdout.splitlines() if line.strip()]
    return [m["record"] for m in messages if m["type"] == "RECORD"]


def test_env_config_reads_numbers_and_booleans_written_as_text(make_sandbox) -> None:
    sandbox = make_sandbox()
    # What the README shows: TAP_PEOPLEAI_POLL_INTERVAL=0.5 tap-peopleai --config ENV
    settings = env_settings(
        sandbox,
        poll_interval="0.5",
        download_workers="1",
        reserved_queue_slots="7",
        allow_insecure_http="true",
        activity_type="meeting",
        poll_intervall="5",
    )
    run = run_with_env_config(settings)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "Traceback" not in run.stderr
    assert "is not of type" not in run.stderr
    (line,) = [line for line in run.stderr.splitlines() if "Settings: " in line]
    assert "poll_interval 0.5 s, job_timeout 30 s" in line
    assert "download_workers 1, reserved_queue_slots 7" in line
    assert sandbox.client_secret not in run.stderr
    (warning,) = [line for line in run.stderr.splitlines() if "unknown setting" in line]
    assert (
        "`poll_intervall` (TAP_PEOPLEAI_POLL_INTERVALL, did you mean `poll_interval`?)" in warning
    )
    records = _records(run.stdout)
    assert records
    assert {record["type"] for record in records} == {"meeting"}
    truth = sandbox.backend.ground_truth(activity_from=START)
    assert {r["uid"] for r in records} == {u for u, row in truth.items() if row.type == "meeting"}


ENV_INVALID = [
    ("download_workers", "abc", "`download_workers` must be a whole number from 1 to 16"),
    ("allow_insecure_http", "maybe", "`allow_insecure_http` must be true or false"),
    ("start_date", "2026-11-01T00:00:00Z", "`start_date` must be a date as YYYY-MM-DD"),
    ("poll_interval", "0,5", "`poll_interval` must be a positive number of seconds"),
]


@pytest.mark.parametrize(
    ("name", "value", "expected"), ENV_INVALID, ids=[c[0] for c in ENV_INVALID]
)
def test_env_config_names_the_setting_of_a_value_it_cannot_read(
    make_sandbox, name: str, value: str, expected: str
) -> None:
    sandbox = make_sandbox()
    run = run_with_env_config(env_settings(sandbox, **{name: value}))
    assert run.returncode == 1
    errors = [line for line in run.stderr.splitlines() if "ERROR" in line]
    assert len(errors) == 1, run.stderr
    assert expected in errors[0]
    assert f"got {value!r}" in errors[0]
    assert f"TAP_PEOPLEAI_{name.upper()}" in errors[0]
    assert "Traceback" not in run.stderr
    assert "Config validation failed" not in run.stderr
    assert sandbox.backend.stats().get("requests", 0) == 0


def test_discovery_needs_no_settings_and_says_nothing_about_invalid_ones(tmp_path) -> None:
    config = {"start_date": "yesterday", "download_workers": "abc", "poll_intervall": 1}
    run = run_tap_cli(config, tmp_path, "--discover")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["streams"][0]["tap_stream_id"] == "activities"
    assert "WARNING" not in run.stderr
    assert "ERROR" not in run.stderr
    assert "Config validation failed" not in run.stderr


def test_a_config_file_may_hold_numbers_as_text_too(make_sandbox, tmp_path) -> None:
    sandbox = make_sandbox()
    config = tap_config(
        sandbox, poll_interval="0.02", download_workers="2", snapshot_window_days="30"
    )
    run = run_tap_cli(config, tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "download_workers 2" in run.stderr
    assert _records(run.stdout)


def test_test_mode_reports_an_invalid_setting_in_one_line_too(make_sandbox, tmp_path) -> None:
    sandbox = make_sandbox()
    run = run_tap_cli(tap_config(sandbox, start_date="yesterday"), tmp_path, "--test")
    assert run.returncode == 1
    (error,) = [line for line in run.stderr.splitlines() if "ERROR" in line]
    assert "`start_date` must be a date as YYYY-MM-DD" in error
    assert "Traceback" not in run.stderr
    assert sandbox.backend.stats().get("requests", 0) == 0
