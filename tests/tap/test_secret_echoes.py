"""Servers that echo the request in their errors: the client secret and the tokens stay hidden in
every form the echo carries them (URL-encoded, JSON-escaped, cut off), in every line and file.

The sandbox's fault `echo_requests` quotes the token request's form (URL-encoded as sent, and as
JSON-escaped text) and, on the job endpoints, the Authorization header, in each error's message.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.processes import CliRun, run_tap_cli
from tests.support.secret_forms import SECRET, leaks
from tests.support.tap_runs import tap_config
from tests.tap.test_errors import assert_one_line_error

DEBUG = {"TAP_PEOPLEAI_LOGLEVEL": "DEBUG"}


def _everything(run: CliRun, tmp_path: Path) -> str:
    """Output, log and every file the run left, except the config file the test wrote."""
    files = [
        path.read_text(errors="replace")
        for path in tmp_path.rglob("*")
        if path.is_file() and path.name != "config.json"
    ]
    return "\n".join([run.stdout, run.stderr, *files])


# A one-letter client id puts the secret where the retry lines cut their excerpt of the body.
@pytest.mark.parametrize("html", [False, True], ids=["json", "html"])
@pytest.mark.parametrize("error_shape", ["simple", "spring"])
def test_token_errors_that_echo_the_form_never_show_the_secret(
    make_sandbox, tmp_path: Path, error_shape: str, html: bool
) -> None:
    sandbox = make_sandbox(
        client_id="c",
        client_secret=SECRET,
        echo_requests=True,
        http_error_rate=1.0,
        html_error_bodies=html,
        error_shape=error_shape,
    )
    run = run_tap_cli(tap_config(sandbox), tmp_path, env=DEBUG)
    assert_one_line_error(run, "while requesting an access token")
    assert sandbox.backend.stats()["fault_echoed_request"] == 8
    assert "Retrying in" in run.stderr
    assert leaks(_everything(run, tmp_path), SECRET) == []


def test_rejected_credentials_echoed_back_never_show_either_secret(
    make_sandbox, tmp_path: Path
) -> None:
    wrong = SECRET.replace("s3cr3t", "wr0ng!")
    sandbox = make_sandbox(client_id="c", client_secret=SECRET, echo_requests=True)
    run = run_tap_cli(tap_config(sandbox, client_secret=wrong), tmp_path, env=DEBUG)
    assert_one_line_error(run, "The API rejected the credentials")
    assert sandbox.backend.stats()["fault_echoed_request"] >= 1
    assert leaks(_everything(run, tmp_path), wrong) == []


def test_job_errors_that_echo_the_authorization_header_never_show_the_token(
    make_sandbox, tmp_path: Path
) -> None:
    sandbox = make_sandbox(echo_requests=True)
    token = sandbox.access_token()
    sandbox.set_faults(echo_requests=True, http_error_rate=1.0)
    config = tap_config(sandbox, access_token=token)
    del config["client_id"], config["client_secret"]
    run = run_tap_cli(config, tmp_path, env=DEBUG)
    assert_one_line_error(run, "while listing export jobs")
    assert sandbox.backend.stats()["fault_echoed_request"] == 8
    assert leaks(_everything(run, tmp_path), token) == []


def test_a_sync_through_echoing_errors_completes_and_shows_no_secret_or_token(
    make_sandbox, tmp_path: Path
) -> None:
    sandbox = make_sandbox(
        client_secret=SECRET,
        token_ttl_seconds=0.3,
        job_run_seconds=0.2,
        echo_requests=True,
        http_error_rate=0.2,
    )
    run = run_tap_cli(tap_config(sandbox, snapshot_window_days=30), tmp_path, env=DEBUG)
    assert run.returncode == 0, run.stderr[-2000:]
    assert any(m["type"] == "RECORD" for m in run.messages)
    assert sandbox.backend.stats()["fault_echoed_request"] > 0
    everything = _everything(run, tmp_path)
    assert leaks(everything, SECRET) == []
    tokens = sandbox.backend.issued_tokens()
    assert len(tokens) >= 2
    for token in tokens:
        assert leaks(everything, token) == []
