"""Fault `echo_requests`: error answers quote the request, secrets and tokens included; and the
high-water mark of live jobs, the ground truth of whether clients left queue slots free."""

from __future__ import annotations

import json
from urllib.parse import quote_plus

import requests

from peopleai_sandbox.pytest_plugin import SandboxFactory
from peopleai_sandbox.responses.echoes import json_escaped
from tests.support.api_client import MakeClient

SECRET = "s3cr3t/DO+NOT share=é"


def test_json_escaped_writes_slashes_and_symbols_as_java_and_php_do() -> None:
    assert json_escaped("a/b+c é") == "a\\/b\\u002bc\\u0020\\u00e9"
    assert json.loads(f'"{json_escaped(SECRET)}"') == SECRET


def test_a_token_error_quotes_the_form_url_encoded_and_json_escaped(
    sandbox_factory: SandboxFactory,
) -> None:
    sandbox = sandbox_factory(client_secret=SECRET, echo_requests=True)
    answer = requests.post(
        sandbox.token_url,
        data={"grant_type": "client_credentials", "client_id": "x", "client_secret": SECRET},
        timeout=5,
    )
    assert answer.status_code == 401
    message = answer.json()["message"]
    assert quote_plus(SECRET) in message  # as the form was sent: %2F, %2B, + for a space
    assert json_escaped(SECRET) in message
    assert SECRET not in message
    assert sandbox.backend.stats()["fault_echoed_request"] == 1


def test_a_job_endpoint_error_quotes_the_authorization_header(
    sandbox_factory: SandboxFactory, make_client: MakeClient
) -> None:
    sandbox = sandbox_factory(echo_requests=True, http_error_rate=1.0)
    api = make_client(sandbox, login=False)
    api.token = "eyJfake.token.value"
    answer = api.status(1001)
    assert answer.status_code >= 429
    assert "Bearer eyJfake.token.value" in answer.json()["message"]


def test_an_html_error_page_quotes_the_request_in_a_comment(
    sandbox_factory: SandboxFactory, make_client: MakeClient
) -> None:
    sandbox = sandbox_factory(echo_requests=True, http_error_rate=1.0, html_error_bodies=True)
    api = make_client(sandbox, login=False)
    api.token = "eyJfake.token.value"
    answer = api.status(1001)
    assert answer.headers["Content-Type"] == "text/html"
    assert "<!-- Authorization header 'Bearer eyJfake.token.value' -->" in answer.text


def test_successful_answers_are_not_changed(
    sandbox_factory: SandboxFactory, make_client: MakeClient
) -> None:
    sandbox = sandbox_factory(echo_requests=True)
    api = make_client(sandbox)
    assert api.list_jobs() == []
    assert sandbox.backend.stats()["fault_echoed_request"] == 0


def test_max_live_jobs_is_the_most_jobs_queued_or_running_at_once(
    sandbox_factory: SandboxFactory, make_client: MakeClient
) -> None:
    sandbox = sandbox_factory(job_queue_seconds=60)
    api = make_client(sandbox)
    for _ in range(3):
        api.create()
    assert sandbox.backend.stats()["max_live_jobs"] == 3
