"""Authentication: client credentials, token lifetime by real time and by sandbox clock."""

from __future__ import annotations

import base64
from datetime import timedelta

import requests

from peopleai_sandbox import RunningSandbox
from peopleai_sandbox.pytest_plugin import SandboxFactory
from tests.support.api_client import ApiClient, MakeClient
from tests.support.fake_clock import FakeClock


def test_token_has_documented_shape(client: ApiClient) -> None:
    answer = client.get_token()
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/json"
    token = answer.json()
    assert set(token) == {"access_token", "token_type", "expires_in"}
    assert token["token_type"] == "bearer"
    assert token["expires_in"] == 7200
    assert token["access_token"].count(".") == 2  # shaped like a JWT


def test_wrong_secret_is_401_and_counted(client: ApiClient, sandbox: RunningSandbox) -> None:
    answer = client.get_token(secret="wrong")
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_client"
    assert sandbox.backend.stats()["auth_failures"] == 1


def test_token_request_must_be_form_encoded(sandbox: RunningSandbox) -> None:
    body = {
        "grant_type": "client_credentials",
        "client_id": sandbox.client_id,
        "client_secret": sandbox.client_secret,
    }
    answer = requests.post(sandbox.token_url, json=body, timeout=5)
    assert answer.status_code == 400
    assert "x-www-form-urlencoded" in answer.json()["message"]


def test_grant_type_must_be_client_credentials(sandbox: RunningSandbox) -> None:
    answer = requests.post(sandbox.token_url, data={"grant_type": "password"}, timeout=5)
    assert answer.status_code == 400
    assert answer.json()["error"] == "unsupported_grant_type"


def test_basic_auth_credentials_are_accepted(sandbox: RunningSandbox) -> None:
    basic = base64.b64encode(f"{sandbox.client_id}:{sandbox.client_secret}".encode()).decode()
    answer = requests.post(
        sandbox.token_url,
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
        timeout=5,
    )
    assert answer.status_code == 200
    assert answer.json()["access_token"]


def test_api_calls_need_a_known_bearer_token(client: ApiClient, sandbox: RunningSandbox) -> None:
    assert client.session.get(sandbox.jobs_url).status_code == 401
    unknown = client.session.get(sandbox.jobs_url, headers={"Authorization": "Bearer nope"})
    assert unknown.status_code == 401
    assert unknown.headers["WWW-Authenticate"] == "Bearer"
    assert unknown.json()["message"] == "invalid access token"
    basic = client.session.get(sandbox.jobs_url, headers={"Authorization": "Basic abc"})
    assert basic.status_code == 401
    assert client.session.get(sandbox.jobs_url, headers=client.auth).status_code == 200


def test_new_token_does_not_invalidate_the_old_one(client: ApiClient) -> None:
    first = client.token
    second = client.login()
    assert first != second
    for token in (first, second):
        client.token = token
        assert client.status("999").status_code == 404  # authenticated, job unknown


def test_token_expires_after_ttl_of_real_time(
    sandbox_factory: SandboxFactory, make_client: MakeClient
) -> None:
    sandbox = sandbox_factory(token_ttl_seconds=1.0)
    real_time = FakeClock()
    sandbox.clock.real_seconds = real_time  # the seconds pass without sleeping them
    api = make_client(sandbox)
    assert api.session.get(sandbox.jobs_url, headers=api.auth).status_code == 200
    real_time.advance(1.05)
    expired = api.session.get(sandbox.jobs_url, headers=api.auth)
    assert expired.status_code == 401
    assert expired.json()["message"] == "access token expired"
    api.login()
    assert api.session.get(sandbox.jobs_url, headers=api.auth).status_code == 200


def test_token_expires_when_the_clock_is_advanced(
    client: ApiClient, sandbox: RunningSandbox
) -> None:
    sandbox.clock.advance(timedelta(seconds=7199))
    assert client.session.get(sandbox.jobs_url, headers=client.auth).status_code == 200
    sandbox.clock.advance(timedelta(seconds=1))
    assert client.session.get(sandbox.jobs_url, headers=client.auth).status_code == 401
    assert sandbox.backend.stats()["tokens_issued"] == 1
