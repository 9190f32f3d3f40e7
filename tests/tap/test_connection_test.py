"""`--test` on a network that fails: a quick answer that speaks of the test, not of resuming.

A sync retries the same failures `max_tries` times (a network blip should not fail a nightly
load); the connection test tries twice, so a wrong `api_url` is reported within seconds. The
tests count attempts and read words and exit codes; they never time anything.
"""

from __future__ import annotations

import socket
from pathlib import Path

from tests.support.processes import CliRun, run_tap_cli
from tests.support.tap_runs import tap_config
from tests.tap.test_errors import assert_one_line_error
from tests.tap.test_transport import https_server

CREDENTIALS = {"client_id": "id", "client_secret": "secret", "start_date": "2026-04-01"}


def _closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def _retries(run: CliRun) -> int:
    return sum("Retrying in" in line for line in run.stderr.splitlines())


def _assert_connection_test_failed(run: CliRun, *words: str) -> str:
    assert_one_line_error(run, "Connection test failed")
    error = next(line for line in run.stderr.splitlines() if "ERROR" in line)
    for word in words:
        assert word in error, error
    assert "resume" not in error
    assert not [m for m in run.messages if m["type"] in ("RECORD", "STATE")]
    return error


def test_a_refused_connection_fails_the_test_after_two_attempts(tmp_path: Path) -> None:
    url = _closed_port_url()
    run = run_tap_cli({**CREDENTIALS, "api_url": url}, tmp_path, "--test")
    _assert_connection_test_failed(run, "connection refused", url, "Check `api_url`")
    assert _retries(run) == 1
    assert "attempt 2 of 2" in run.stderr


def test_a_host_name_that_does_not_resolve_fails_the_test_after_two_attempts(
    tmp_path: Path,
) -> None:
    url = "https://api.peopleai.invalid"
    run = run_tap_cli({**CREDENTIALS, "api_url": url}, tmp_path, "--test")
    _assert_connection_test_failed(run, "does not resolve", "api.peopleai.invalid")
    assert _retries(run) == 1


def test_https_to_a_plain_http_port_fails_the_test_at_once(make_sandbox, tmp_path: Path) -> None:
    sandbox = make_sandbox()
    url = sandbox.url.replace("http://", "https://")
    run = run_tap_cli(tap_config(sandbox, api_url=url), tmp_path, "--test")
    _assert_connection_test_failed(run, "does not speak TLS")
    assert _retries(run) == 0
    assert sandbox.backend.stats()["jobs_created"] == 0


def test_a_self_signed_certificate_fails_the_test_at_once(tmp_path: Path) -> None:
    with https_server(tmp_path) as (url, _cert):
        run = run_tap_cli({**CREDENTIALS, "api_url": url}, tmp_path, "--test")
    _assert_connection_test_failed(run, "TLS certificate verification failed", "ca_bundle")
    assert _retries(run) == 0


def test_rejected_credentials_ask_for_the_credentials_not_a_rerun(
    make_sandbox, tmp_path: Path
) -> None:
    sandbox = make_sandbox()
    run = run_tap_cli(tap_config(sandbox, client_secret="wrong"), tmp_path, "--test")
    error = _assert_connection_test_failed(run, "Check `client_id` and `client_secret`")
    assert "next sync" not in error


def test_a_sync_with_rejected_credentials_does_not_promise_a_resume(
    make_sandbox, tmp_path: Path
) -> None:
    sandbox = make_sandbox()
    run = run_tap_cli(tap_config(sandbox, client_secret="wrong"), tmp_path)
    assert_one_line_error(run, "Check `client_id` and `client_secret`")
    assert "resume" not in run.stderr


def test_a_sync_keeps_retrying_a_refused_connection(tmp_path: Path) -> None:
    url = _closed_port_url()
    config = {**CREDENTIALS, "api_url": url, "poll_interval": 0.01}
    run = run_tap_cli(config, tmp_path)
    assert_one_line_error(run, "Gave up after 8 attempts")
    assert _retries(run) == 7
    assert "connection refused" in run.stderr
