"""Job creation validation: every rejected body gets a 400 naming the offending field."""

from __future__ import annotations

from typing import Any

import pytest

from peopleai_sandbox import RunningSandbox
from peopleai_sandbox.pytest_plugin import SandboxFactory
from tests.support.api_client import ApiClient, MakeClient, job_body


def _without(name: str) -> dict[str, str]:
    body = job_body()
    del body[name]
    return body


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (job_body(start="2025/02/01"), ["start_date", "yyyy-MM-dd"]),
        (job_body(end="2025-2-3"), ["end_date", "yyyy-MM-dd"]),
        (job_body(start="2025-02-30"), ["start_date", "not a valid date"]),
        (job_body(start="2025-02-01T00:00:00Z"), ["start_date"]),
        (job_body(start="2025-02-05", end="2025-02-04"), ["end_date", "before start_date"]),
        (
            job_body(export_type="delta", start="2025-02-01", end="2025-02-15"),
            ["delta", "at most 14 days", "15 days"],
        ),
        (job_body(start="2024-01-01", end="2024-12-31"), ["snapshot", "at most 365 days"]),
        (job_body(activity_type="task"), ["activity_type", "task"]),
        (job_body(activity_type="All"), ["activity_type"]),
        (job_body(export_type="full"), ["export_type", "full"]),
        (job_body(export_type="Delta"), ["export_type"]),
        (job_body(output_format="CSV"), ["output_format", "CSV"]),
        (job_body(output_format="jsonlines"), ["output_format"]),
        (_without("start_date"), ["missing", "start_date"]),
        (_without("output_format"), ["missing", "output_format"]),
        ({**job_body(), "end_date": None}, ["missing", "end_date"]),
        ({**job_body(), "start_date": 20250201}, ["start_date", "string"]),
        ([job_body()], ["JSON object"]),
    ],
)
def test_invalid_bodies_are_400_with_a_clear_message(
    client: ApiClient, sandbox: RunningSandbox, body: Any, words: list[str]
) -> None:
    answer = client.post_job(body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == "bad_request"
    for word in words:
        assert word in answer.json()["message"]
    assert client.list_jobs() == []
    assert sandbox.backend.stats()["validation_errors"] == 1


def test_body_that_is_not_json_is_400(client: ApiClient, sandbox: RunningSandbox) -> None:
    answer = client.session.post(
        sandbox.jobs_url,
        data=b"{start_date:",
        headers={**client.auth, "Content-Type": "application/json"},
    )
    assert answer.status_code == 400
    assert "not valid JSON" in answer.json()["message"]


def test_body_must_be_sent_as_json(client: ApiClient, sandbox: RunningSandbox) -> None:
    answer = client.session.post(sandbox.jobs_url, data=job_body(), headers=client.auth)
    assert answer.status_code == 415
    assert "application/json" in answer.json()["message"]


@pytest.mark.parametrize(
    ("export_type", "start", "end"),
    [
        ("delta", "2025-02-01", "2025-02-14"),  # 14 days inclusive: the maximum
        ("snapshot", "2025-01-01", "2025-12-31"),  # 365 days inclusive: the maximum
        ("snapshot", "2025-02-03", "2025-02-03"),  # one day
        ("snapshot", "2030-01-01", "2030-01-02"),  # the future is allowed (empty)
    ],
)
def test_ranges_at_the_limits_are_accepted(
    client: ApiClient, export_type: str, start: str, end: str
) -> None:
    answer = client.post_job(job_body(export_type=export_type, start=start, end=end))
    assert answer.status_code == 200, answer.text


def test_enum_case_is_free_when_the_variant_says_so(
    sandbox_factory: SandboxFactory, make_client: MakeClient
) -> None:
    api = make_client(sandbox_factory(enum_case_insensitive=True))
    answer = api.post_job(
        job_body(export_type="Delta", activity_type="All", output_format="jsonlines")
    )
    assert answer.status_code == 200, answer.text
    document = answer.json()
    assert (document["export_type"], document["activity_type"], document["output_format"]) == (
        "delta",
        "all",
        "JSONLines",
    )
    assert api.post_job(job_body(activity_type="Tasks")).status_code == 400


def test_unknown_extra_fields_are_ignored(client: ApiClient) -> None:
    answer = client.post_job({**job_body(), "compression": "none"})
    assert answer.status_code == 200
    assert "compression" not in answer.json()


def test_chunked_request_bodies_are_read(client: ApiClient, sandbox: RunningSandbox) -> None:
    pieces = iter(
        [
            b'{"start_date": "2025-02-01", "end_date": "2025-02-01", ',
            b'"activity_type": "call", "export_type": "delta", ',
            b'"output_format": "JSONLines"}',
        ]
    )
    headers = {**client.auth, "Content-Type": "application/json"}
    answer = client.session.post(sandbox.jobs_url, data=pieces, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["activity_type"] == "call"
    assert len(client.list_jobs()) == 1  # the connection is still in step
