"""Faults: seeded HTTP errors, dropped/garbled/slow downloads, failed, canceled and stuck jobs."""

from __future__ import annotations

import time

import orjson
import pytest
import requests

from peopleai_sandbox import Faults
from peopleai_sandbox.pytest_plugin import SandboxFactory
from peopleai_sandbox.wire.transfer import Pacer
from tests.support.api_client import ApiClient, MakeClient, job_body, records_of
from tests.support.fake_clock import FakeClock
from tests.support.truth import observed_rows, truth_rows

SMALL = {"fragment_records": 100}


def _invalid_lines(content: bytes) -> list[int]:
    bad = []
    for number, line in enumerate(content.split(b"\n")[:-1], start=1):
        try:
            orjson.loads(line)
        except orjson.JSONDecodeError:
            bad.append(number)
    return bad


def test_every_api_endpoint_can_fail_at_random(
    sandbox_factory: SandboxFactory, make_client: MakeClient
) -> None:
    sandbox = sandbox_factory(http_error_rate=1.0)
    api = make_client(sandbox, login=False)
    answers = [
        api.get_token(),
        api.post_job(),
        api.status(1),
        api.data(1),
        api.session.get(sandbox.jobs_url),
    ]
    answers += [api.get_token() for _ in range(20)]
    statuses = {answer.status_code for answer in answers}
    assert statuses == {429, 500, 502, 503}
    for answer in answers:
        assert "Retry-After" not in answer.headers
        assert answer.headers["Content-Type"] == "application/json"
        assert set(answer.json()) == {"error", "message"}
    stats = sandbox.backend.stats()
    assert stats["faults_injected"] == len(answers)
    assert sum(stats.get(f"fault_http_{code}", 0) for code in statuses) == len(answers)
    assert stats["tokens_issued"] == 0
    control = api.session.get(f"{sandbox.url}/_sandbox/stats")
    assert control.status_code == 200  # control endpoints are never faulted


def test_injected_errors_can_carry_html_pages(
    sandbox_factory: SandboxFactory, make_client: MakeClient
) -> None:
    api = make_client(sandbox_factory(http_error_rate=1.0, html_error_bodies=True), login=False)
    answer = api.get_token()
    assert answer.headers["Content-Type"] == "text/html"
    assert answer.text.startswith("<html>")
    assert str(answer.status_code) in answer.text


def test_fault_decisions_are_reproducible_from_the_seed(
    sandbox_factory: SandboxFactory, make_client: MakeClient
) -> None:
    sequences = []
    for seed in (3, 3, 4):
        api = make_client(sandbox_factory(seed=seed, http_error_rate=0.5), login=False)
        sequences.append([api.get_token().status_code for _ in range(16)])
    assert sequences[0] == sequences[1]
    assert sequences[0] != sequences[2]
    assert 200 in sequences[0]
    assert set(sequences[0]) - {200}


def test_a_dropped_download_breaks_midway_and_the_retry_is_clean(
    sandbox_factory: SandboxFactory, make_client: MakeClient
) -> None:
    sandbox = sandbox_factory(drop_download_rate=1.0)
    api = make_client(sandbox)
    done = api.run()
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        api.data(done["job_id"])
    retry = api.data(done["job_id"])
    assert len(retry.content) == done["results_size"]
    truth = sandbox.backend.export_truth("snapshot", "2025-02-01", "2025-02-03")
    assert observed_rows(records_of(retry.content)) == truth_rows(truth)
    stats = sandbox.backend.stats()
    assert stats["fault_dropped_download"] == 1
    assert 0 < stats["bytes_served"] - done["results_size"] < done["results_size"]


def test_a_dropped_gzip_download_breaks_the_chunked_body(
    sandbox_factory: SandboxFactory, make_client: MakeClient
) -> None:
    api = make_client(sandbox_factory(drop_download_rate=1.0, gzip=True))
    done = api.run()
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        api.data(done["job_id"])
    assert len(api.data(done["job_id"]).content) == done["results_size"]


def test_a_garbled_download_has_one_bad_line_and_the_retry_is_clean(
    sandbox_factory: SandboxFactory, make_client: MakeClient
) -> None:
    sandbox = sandbox_factory(**SMALL, corrupt_download_rate=1.0)
    api = make_client(sandbox)
    done = api.run()
    garbled = api.data(done["job_id"])
    assert len(garbled.content) == done["results_size"]
    assert len(_invalid_lines(garbled.content)) == 1
    clean = api.data(done["job_id"])
    assert _invalid_lines(clean.content) == []
    assert sandbox.backend.stats()["fault_corrupt_download"] == 1
    assert len(_invalid_lines(api.data(done["job_id"], fragment=4).content)) == 1
    assert _invalid_lines(api.data(done["job_id"], fragment=4).content) == []


def test_persistent_bad_line_is_line_three_of_fragment_zero(
    sandbox_factory: SandboxFactory, make_client: MakeClient
) -> None:
    api = make_client(sandbox_factory(**SMALL, persistent_bad_line=True))
    for _ in range(2):
        done = api.run()
        for _ in range(2):
            assert _invalid_lines(api.data(done["job_id"], fragment=0).content) == [3]
            assert _invalid_lines(api.data(done["job_id"]).content) == [3]
        assert _invalid_lines(api.data(done["job_id"], fragment=1).content) == []


def test_bandwidth_limit_slows_downloads(
    sandbox_factory: SandboxFactory, make_client: MakeClient
) -> None:
    sandbox = sandbox_factory(**SMALL, bandwidth_bytes_per_second=400_000)
    api = make_client(sandbox)
    done = api.run()
    content = api.data(done["job_id"], fragment=0).content
    assert len(content) > 100_000
    assert content == api.data(done["job_id"], fragment=0).content
    assert sandbox.backend.stats()["fault_throttled_download"] == 2


def test_the_pacer_holds_a_sender_to_its_bandwidth() -> None:
    clock = FakeClock()
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock.advance(seconds)

    pacer = Pacer(400_000, clock=clock, sleep=sleep)
    started = clock()
    for _ in range(100):  # 100 pieces of 8,000 bytes: 800,000 bytes, two seconds' worth
        pacer.sent(8_000)
    assert clock() - started == pytest.approx(2.0)
    assert len(sleeps) == 100
    # A sender that is already slower than the bandwidth is not held back further.
    clock.advance(5.0)
    pacer.sent(8_000)
    assert len(sleeps) == 100


@pytest.mark.parametrize(
    ("setting", "state", "stat"),
    [
        ("job_failure_rate", "Failed", "jobs_failed"),
        ("job_cancel_rate", "Canceled", "jobs_canceled"),
    ],
)
def test_jobs_can_end_failed_or_canceled(
    sandbox_factory: SandboxFactory, make_client: MakeClient, setting: str, state: str, stat: str
) -> None:
    sandbox = sandbox_factory(**{setting: 1.0})
    api = make_client(sandbox)
    done = api.run()
    assert done["state"] == state
    assert done["job_end_time"] is not None
    assert done["results_size"] is None
    assert "fragment" not in done
    answer = api.data(done["job_id"])
    assert answer.status_code == 409
    assert state in answer.json()["message"]
    assert sandbox.backend.stats()[stat] == 1


def test_stuck_jobs_stay_queued_and_fill_the_queue(
    sandbox_factory: SandboxFactory, make_client: MakeClient
) -> None:
    sandbox = sandbox_factory(stuck_job_rate=1.0)
    api = make_client(sandbox)
    ids = [api.create()["job_id"] for _ in range(9)]
    time.sleep(0.1)
    assert {api.status(job_id).json()["state"] for job_id in ids} == {"Queued"}
    sandbox.set_faults(Faults())
    assert api.run()["state"] == "Completed"  # stuck jobs hold no running slot
    # The tenth active job is stuck too: a job bound to complete would finish job_run_seconds
    # (0.05 s) after rendering and free its slot, on a loaded machine often before the next
    # request arrives; a stuck one holds its slot for sure.
    sandbox.set_faults(Faults(stuck_job_rate=1.0))
    tenth = api.create()
    refused = api.post_job(job_body())
    assert refused.status_code == 429
    assert api.status(tenth["job_id"]).json()["state"] == "Queued"
    assert sandbox.backend.stats()["jobs_stuck"] == 10


def test_faults_can_be_replaced_at_runtime(
    sandbox_factory: SandboxFactory, make_client: MakeClient, client: ApiClient
) -> None:
    sandbox = sandbox_factory()
    api = make_client(sandbox)
    changed = api.session.post(
        f"{sandbox.url}/_sandbox/faults", json={"http_error_rate": 1.0, "html_error_bodies": True}
    )
    assert changed.status_code == 200
    assert changed.json()["http_error_rate"] == 1.0
    assert api.status(1).status_code in (429, 500, 502, 503)
    assert api.session.post(f"{sandbox.url}/_sandbox/faults", json={}).status_code == 200
    assert api.status(1).status_code == 404
    invalid = api.session.post(f"{sandbox.url}/_sandbox/faults", json={"typo_rate": 1})
    assert invalid.status_code == 400
    assert "typo_rate" in invalid.json()["message"]
    assert client.status(1).status_code == 404  # another sandbox is unaffected
