"""The tap as users run it: command line, clear errors without tracebacks, secrets never shown."""

from __future__ import annotations

import json
import re

import pytest

from peopleai_sandbox import Faults
from tests.support.processes import run_tap_cli, run_tap_process
from tests.support.tap_runs import START, tap_config

JWT_LIKE = re.compile(r"eyJ[\w-]{6,}\.[\w-]{6,}")


def test_about_and_discover_need_no_credentials(tmp_path) -> None:
    about = run_tap_process("--about", "--format=markdown")
    assert about.returncode == 0, about.stderr
    assert "Sales activities (emails, meetings, calls)" in about.stdout
    assert "| start_date | True |" in about.stdout
    run = run_tap_cli({}, tmp_path, "--discover")
    assert run.returncode == 0, run.stderr
    catalog = json.loads(run.stdout)
    stream, reconciliations = catalog["streams"]
    assert reconciliations["tap_stream_id"] == "reconciliations"
    assert stream["tap_stream_id"] == "activities"
    assert stream["key_properties"] == ["uid"]
    assert stream["schema"]["properties"]["participants"]["items"]["additionalProperties"] is True


BAD_SETTINGS = [
    ({"start_date": None}, "`start_date` is required"),
    ({"start_date": "01/02/2026"}, "`start_date` must be a date as YYYY-MM-DD"),
    ({"start_date": "2099-01-01"}, "`start_date` 2099-01-01 is in the future"),
    ({"end_date": "2026-01-01"}, "`end_date` 2026-01-01 is before `start_date`"),
    ({"activity_type": "sms"}, "`activity_type` must be one of email, meeting, call, all"),
    ({"delta_window_days": 15}, "`delta_window_days` must be a whole number from 1 to 14"),
    ({"snapshot_window_days": 0}, "`snapshot_window_days` must be a whole number from 1 to 365"),
    ({"download_workers": 99}, "`download_workers` must be a whole number from 1 to 16"),
    ({"poll_interval": -1}, "`poll_interval` must be a positive number"),
    ({"client_id": None, "client_secret": None}, "No credentials"),
    ({"client_secret": None}, "`client_secret` is missing"),
    ({"api_url": "ftp://example.com"}, "`api_url` must be an http(s) URL"),
    ({"api_url": "http://api.example.com"}, "plain http to a non-loopback host"),
]


@pytest.mark.parametrize(
    ("change", "expected"), BAD_SETTINGS, ids=[b[1][:30] for b in BAD_SETTINGS]
)
def test_bad_settings_fail_before_any_export_naming_the_setting(
    make_sandbox, tmp_path, change, expected
) -> None:
    sandbox = make_sandbox()
    config = {k: v for k, v in {**tap_config(sandbox), **change}.items() if v is not None}
    run = run_tap_cli(config, tmp_path)
    assert run.returncode != 0
    assert expected in run.stderr
    assert "Traceback" not in run.stderr
    assert sandbox.backend.stats()["jobs_created"] == 0


def test_a_rejected_secret_says_which_settings_to_check(make_sandbox, tmp_path) -> None:
    sandbox = make_sandbox()
    run = run_tap_cli(tap_config(sandbox, client_secret="wrong-secret-123"), tmp_path)
    assert run.returncode == 1
    assert "Check `client_id` and `client_secret`" in run.stderr
    assert "Activity* API key" in run.stderr
    assert "Traceback" not in run.stderr
    assert "wrong-secret-123" not in run.stderr + run.stdout


def test_an_error_page_that_is_not_json_gives_a_readable_message(make_sandbox, tmp_path) -> None:
    sandbox = make_sandbox(faults=Faults(http_error_rate=1.0, html_error_bodies=True))
    run = run_tap_cli(tap_config(sandbox), tmp_path)
    assert run.returncode == 1
    assert "non-JSON body (text/html" in run.stderr
    assert "Traceback" not in run.stderr


def test_secrets_and_tokens_never_appear_in_output_logs_or_state(make_sandbox, tmp_path) -> None:
    secret = "S3cr3t-Client-Secret-4f9a2b"
    sandbox = make_sandbox(
        client_secret=secret,
        token_ttl_seconds=0.3,
        job_run_seconds=0.2,
        faults=Faults(http_error_rate=0.2, html_error_bodies=True, drop_download_rate=0.2),
    )
    run = run_tap_cli(
        tap_config(sandbox, client_secret=secret, snapshot_window_days=30),
        tmp_path,
        env={"TAP_PEOPLEAI_LOGLEVEL": "DEBUG"},
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert sandbox.backend.stats()["tokens_issued"] >= 2
    everything = run.stdout + run.stderr
    assert "DEBUG" in run.stderr
    assert secret not in everything
    assert not JWT_LIKE.search(everything)
    assert "Bearer" not in everything
    assert any(m["type"] == "RECORD" for m in run.messages)


def test_cli_sync_then_resume_from_the_emitted_state(make_sandbox, tmp_path) -> None:
    sandbox = make_sandbox()
    first = run_tap_cli(tap_config(sandbox), tmp_path)
    assert first.returncode == 0, first.stderr[-2000:]
    state = [m for m in first.messages if m["type"] == "STATE"][-1]["value"]
    sandbox.advance(days=1)
    second = run_tap_cli(tap_config(sandbox), tmp_path, state=state)
    assert second.returncode == 0, second.stderr[-2000:]
    emitted = {
        m["record"]["uid"] for m in first.messages + second.messages if m["type"] == "RECORD"
    }
    assert emitted == set(sandbox.backend.ground_truth(activity_from=START))
