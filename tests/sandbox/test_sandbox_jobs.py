"""Jobs: creation, status, list, the state machine, both limits, retention, 404/409 answers."""

from __future__ import annotations

import http.client
from pathlib import Path

import pytest

from peopleai_sandbox import RunningSandbox
from peopleai_sandbox.pytest_plugin import SandboxFactory
from tests.support.api_client import ApiClient, MakeClient, job_body
from tests.support.fake_clock import FakeClock

JOB_FIELDS = {
    "job_id",
    "state",
    "export_type",
    "output_format",
    "activity_type",
    "start_date",
    "end_date",
    "job_created_time",
    "job_start_time",
    "job_end_time",
    "results_size",
}


def test_create_status_and_list_share_one_job_document(client: ApiClient) -> None:
    created = client.create(start="2025-02-01", end="2025-02-02")
    assert set(created) >= JOB_FIELDS
    assert isinstance(created["job_id"], int)
    assert created["state"] in ("Queued", "Running")
    assert created["job_created_time"] == "2025-03-01T12:00:00Z"
    assert created["job_end_time"] is None
    assert created["results_size"] is None
    assert "fragment" not in created
    done = client.wait(created["job_id"])
    assert done["state"] == "Completed"
    assert done["job_start_time"] == "2025-03-01T12:00:00Z"
    assert done["job_end_time"] == "2025-03-01T12:00:00Z"
    assert done["results_size"] > 0
    assert done["fragment"] == 1
    for name in ("export_type", "activity_type", "start_date", "end_date", "output_format"):
        assert done[name] == job_body(start="2025-02-01", end="2025-02-02")[name]
    assert client.list_jobs() == [done]


def test_results_size_is_the_byte_size_of_the_data(client: ApiClient) -> None:
    done = client.run()
    answer = client.data(done["job_id"])
    assert answer.status_code == 200
    assert len(answer.content) == done["results_size"] == int(answer.headers["Content-Length"])


def test_at_most_two_jobs_run_and_the_rest_wait_queued(
    sandbox_factory: SandboxFactory, make_client: MakeClient
) -> None:
    sandbox = sandbox_factory(job_run_seconds=1.0)
    api = make_client(sandbox)
    ids = [api.create()["job_id"] for _ in range(3)]
    documents = [api.status(job_id).json() for job_id in ids]
    assert [document["state"] for document in documents] == ["Running", "Running", "Queued"]
    assert documents[2]["job_start_time"] is None
    api.wait(ids[0])
    assert api.status(ids[2]).json()["state"] == "Running"
    assert [api.wait(job_id)["state"] for job_id in ids] == ["Completed"] * 3
    assert sandbox.backend.stats()["jobs_completed"] == 3


def test_a_job_stays_queued_for_job_queue_seconds(
    sandbox_factory: SandboxFactory, make_client: MakeClient
) -> None:
    sandbox = sandbox_factory(job_queue_seconds=1.0)
    real_time = FakeClock()
    sandbox.clock.real_seconds = real_time  # the seconds pass without sleeping them
    api = make_client(sandbox)
    job_id = api.create()["job_id"]
    assert api.status(job_id).json()["state"] == "Queued"
    real_time.advance(0.99)
    assert api.status(job_id).json()["state"] == "Queued"
    real_time.advance(0.01)
    assert api.status(job_id).json()["state"] == "Running"
    real_time.advance(sandbox.config.job_run_seconds + 0.01)  # + 0.01: 1001.05 - 1001.0 < 0.05
    assert api.wait(job_id)["state"] == "Completed"


@pytest.mark.parametrize("limit_status", [429, 409, 400])
def test_the_eleventh_queued_or_running_job_is_refused(
    sandbox_factory: SandboxFactory, make_client: MakeClient, limit_status: int
) -> None:
    sandbox = sandbox_factory(job_run_seconds=60, limit_status=limit_status)
    api = make_client(sandbox)
    for _ in range(10):
        assert api.post_job().status_code == 200
    refused = api.post_job()
    assert refused.status_code == limit_status
    assert refused.json()["error"] == "too_many_jobs"
    assert "at most 10 jobs" in refused.json()["message"]
    states = [job["state"] for job in api.list_jobs()]
    assert states.count("Running") == 2
    assert states.count("Queued") == 8
    assert sandbox.backend.stats()["limit_errors"] == 1
    assert sandbox.backend.stats()["jobs_created"] == 10


def test_finished_jobs_do_not_count_towards_the_limit(client: ApiClient) -> None:
    for _ in range(12):
        client.run(start="2025-01-01", end="2025-01-01")
    assert len(client.list_jobs()) == 12


def test_data_of_an_unfinished_job_is_409(
    sandbox_factory: SandboxFactory, make_client: MakeClient
) -> None:
    api = make_client(sandbox_factory(job_run_seconds=60))
    job_id = api.create()["job_id"]
    answer = api.data(job_id)
    assert answer.status_code == 409
    assert "Running" in answer.json()["message"]
    assert api.data(job_id, fragment=0).status_code == 409


def test_unknown_jobs_and_fragments_are_404(client: ApiClient) -> None:
    assert client.status(424242).status_code == 404
    assert client.data(424242).status_code == 404
    assert "424242" in client.status(424242).json()["message"]
    done = client.run()
    missing = client.data(done["job_id"], fragment=done["fragment"])
    assert missing.status_code == 404
    assert "1 fragment(s)" in missing.json()["message"]
    assert client.data(done["job_id"], fragment="x").status_code == 400
    assert client.data(done["job_id"], fragment=-1).status_code == 400


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/pull/v1/export/activities/jobs"),
        ("DELETE", "/pull/v1/export/activities/jobs/1001"),
        ("PATCH", "/pull/v1/export/activities/jobs/1001"),
        ("POST", "/pull/v1/export/activities/jobs/1001"),
        ("GET", "/auth/v1/tokens"),
        ("GET", "/pull/v1/export/activities/jobs/1001/fragment"),
        ("GET", "/pull/v2/export/activities/jobs"),
        ("GET", "/"),
    ],
)
def test_unsupported_methods_and_paths_are_404(
    client: ApiClient, sandbox: RunningSandbox, method: str, path: str
) -> None:
    client.run()
    answer = client.session.request(method, sandbox.url + path, headers=client.auth)
    assert answer.status_code == 404
    assert answer.json()["error"] == "not_found"


def test_head_is_404_without_body(client: ApiClient, sandbox: RunningSandbox) -> None:
    answer = client.session.head(sandbox.jobs_url, headers=client.auth)
    assert answer.status_code == 404
    assert answer.content == b""


def test_retention_removes_jobs_and_files_after_ten_days(
    client: ApiClient, sandbox: RunningSandbox
) -> None:
    old = client.run()
    files = sorted(Path(sandbox.backend.data_dir).rglob("*.jsonl"))
    assert files
    sandbox.advance(days=2)
    client.login()
    young = client.run()
    sandbox.advance(days=8, seconds=1)
    client.login()
    assert [job["job_id"] for job in client.list_jobs()] == [young["job_id"]]
    assert client.status(old["job_id"]).status_code == 404
    assert client.data(old["job_id"]).status_code == 404
    assert client.data(old["job_id"], fragment=0).status_code == 404
    assert not any(path.exists() for path in files)
    assert client.data(young["job_id"]).status_code == 200
    sandbox.advance(days=3)
    client.login()
    assert client.list_jobs() == []


def test_string_job_ids_are_opaque(
    sandbox_factory: SandboxFactory, make_client: MakeClient
) -> None:
    api = make_client(sandbox_factory(job_id_type="str"))
    done = api.run()
    assert isinstance(done["job_id"], str)
    assert not done["job_id"].isdigit()
    assert api.data(done["job_id"]).status_code == 200
    assert api.list_jobs()[0]["job_id"] == done["job_id"]


def test_requests_keep_the_connection_alive(client: ApiClient, sandbox: RunningSandbox) -> None:
    done = client.run()
    connection = http.client.HTTPConnection(sandbox.host, sandbox.port, timeout=5)
    try:
        connection.request(
            "GET", f"/pull/v1/export/activities/jobs/{done['job_id']}", headers=client.auth
        )
        assert connection.getresponse().read()
        first_socket = connection.sock
        connection.request(
            "GET", f"/pull/v1/export/activities/jobs/{done['job_id']}/data", headers=client.auth
        )
        answer = connection.getresponse()
        assert len(answer.read()) == done["results_size"]
        assert connection.sock is first_socket
    finally:
        connection.close()


def test_a_sandbox_bug_answers_500_and_the_server_lives_on(
    client: ApiClient, sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(sandbox.backend, "list_jobs", broken)
    answer = client.session.get(sandbox.jobs_url, headers=client.auth)
    assert answer.status_code == 500
    assert answer.json()["error"] == "internal_error"
    assert "boom" in answer.json()["message"]
    assert client.status(1).status_code == 404
