"""Control endpoints under /_sandbox/, the Python API, configuration and the clock."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests

from peopleai_sandbox import Faults, RunningSandbox, SandboxClock, SandboxConfig, Variants
from peopleai_sandbox.pytest_plugin import DEFAULT_TEST_NOW
from tests.support.api_client import ApiClient
from tests.support.times import to_utc


def test_truth_endpoint_matches_the_python_api(sandbox: RunningSandbox) -> None:
    answer = requests.get(
        f"{sandbox.url}/_sandbox/truth",
        params={
            "activity_from": "2025-02-01",
            "activity_to": "2025-02-05",
            "activity_type": "meeting",
        },
        timeout=10,
    )
    assert answer.status_code == 200
    body = answer.json()
    truth = sandbox.backend.ground_truth(
        datetime(2025, 2, 1).date(), datetime(2025, 2, 5).date(), "meeting"
    )
    assert body["count"] == len(truth) == len(body["activities"]) > 0
    for item in body["activities"]:
        row = truth[item["uid"]]
        assert item["version"] == row.version
        assert item["type"] == "meeting"
        assert to_utc(item["timestamp"]) == row.timestamp
        assert to_utc(item["ingest_timestamp"]) == row.ingest_timestamp
        assert item["timestamp"].endswith("Z")
    everything = requests.get(f"{sandbox.url}/_sandbox/truth", timeout=10).json()
    assert everything["count"] == len(sandbox.backend.ground_truth())


def test_export_truth_endpoint(sandbox: RunningSandbox) -> None:
    params = {"export_type": "delta", "start_date": "2025-02-01", "end_date": "2025-02-02"}
    body = requests.get(f"{sandbox.url}/_sandbox/export-truth", params=params, timeout=10).json()
    truth = sandbox.backend.export_truth("delta", "2025-02-01", "2025-02-02")
    assert {item["uid"]: item["version"] for item in body["activities"]} == {
        uid: row.version for uid, row in truth.items()
    }
    bad = requests.get(
        f"{sandbox.url}/_sandbox/export-truth",
        params={**params, "end_date": "2025-03-01"},
        timeout=10,
    )
    assert bad.status_code == 400
    assert "14 days" in bad.json()["message"]


def test_stats_endpoint_counts_what_happened(client: ApiClient, sandbox: RunningSandbox) -> None:
    client.run()
    client.get_token(secret="bad")
    stats = requests.get(f"{sandbox.url}/_sandbox/stats", timeout=10).json()
    assert stats == sandbox.backend.stats()
    assert stats["tokens_issued"] == 1
    assert stats["auth_failures"] == 1
    assert stats["jobs_created"] == stats["jobs_completed"] == 1
    assert stats["requests"] >= 4
    assert stats["fault_http_503"] == stats["fault_dropped_download"] == 0
    for key in (
        "jobs_failed",
        "jobs_canceled",
        "jobs_stuck",
        "limit_errors",
        "downloads",
        "bytes_served",
        "faults_injected",
    ):
        assert stats[key] == 0


def test_clock_endpoint_reads_and_moves_the_clock(sandbox: RunningSandbox) -> None:
    url = f"{sandbox.url}/_sandbox/clock"
    assert requests.get(url, timeout=10).json()["now"] == "2025-03-01T12:00:00.000000Z"
    moved = requests.post(url, json={"advance_days": 2}, timeout=10).json()
    assert moved["now"] == "2025-03-03T12:00:00.000000Z"
    assert moved["frozen"] is True
    requests.post(url, json={"advance_seconds": 30}, timeout=10)
    assert sandbox.clock.now() == DEFAULT_TEST_NOW + timedelta(days=2, seconds=30)
    requests.post(url, json={"set": "2025-06-01T00:00:00Z"}, timeout=10)
    assert sandbox.clock.now() == datetime(2025, 6, 1, tzinfo=timezone.utc)
    wrong = requests.post(url, json={"rewind": 1}, timeout=10)
    assert wrong.status_code == 400
    assert requests.get(f"{sandbox.url}/_sandbox/nothing", timeout=10).status_code == 404


def test_control_endpoints_need_no_token_and_are_not_counted(sandbox: RunningSandbox) -> None:
    for _ in range(3):
        assert requests.get(f"{sandbox.url}/_sandbox/stats", timeout=10).status_code == 200
    assert sandbox.backend.stats()["requests"] == 0


def test_unfrozen_clock_follows_real_time_with_an_offset() -> None:
    clock = SandboxClock(offset=timedelta(days=-3))
    before = datetime.now(timezone.utc)
    now = clock.now()
    assert not clock.frozen
    assert timedelta(days=-3, seconds=-1) < now - before < timedelta(days=-3, seconds=1)
    clock.advance(timedelta(days=1))
    assert abs(clock.offset - timedelta(days=-2)) < timedelta(seconds=1)
    clock.set(datetime(2025, 1, 1))
    assert clock.frozen
    assert clock.now() == datetime(2025, 1, 1, tzinfo=timezone.utc)
    assert clock.now().tzinfo is not None


def test_config_replace_routes_variant_and_fault_fields() -> None:
    config = SandboxConfig().replace(gzip=True, http_error_rate=0.2, seed=9)
    assert config.variants == Variants(gzip=True)
    assert config.faults == Faults(http_error_rate=0.2)
    assert config.seed == 9
    with pytest.raises(TypeError, match="nonsense"):
        SandboxConfig().replace(nonsense=1)


@pytest.mark.parametrize(
    "build",
    [
        lambda: Variants(fragment_field="frags"),
        lambda: Variants(limit_status=503),
        lambda: Faults(http_error_rate=1.5),
        lambda: Faults(job_failure_rate=0.6, job_cancel_rate=0.6),
        lambda: Faults(bandwidth_bytes_per_second=0),
        lambda: SandboxConfig(now=datetime(2025, 1, 1)),
        lambda: SandboxConfig(activities_per_day=0),
        lambda: SandboxConfig(max_running=3, max_queued=2),
        lambda: Variants(late_fields_after_days=-1),
    ],
)
def test_invalid_settings_are_rejected(build: object) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        build()  # type: ignore[operator]


def test_run_sandbox_starts_without_building_data_and_cleans_up(tmp_path: object) -> None:
    from peopleai_sandbox import run_sandbox
    from peopleai_sandbox.dataset.skeletons import skeleton_of

    # Starting is fast because it builds nothing: no activity is drawn and no file rendered
    # before a request asks for them. (A seed of its own: no other test warmed its activities.)
    built = skeleton_of.cache_info()
    config = SandboxConfig(now=DEFAULT_TEST_NOW, data_dir=str(tmp_path), seed=90210)
    with run_sandbox(config) as sandbox:
        assert skeleton_of.cache_info() == built
        assert sandbox.url.startswith("http://127.0.0.1:")
        data_dir = sandbox.backend.data_dir
        assert data_dir.exists()
        assert list(data_dir.iterdir()) == []
        assert requests.get(f"{sandbox.url}/_sandbox/clock", timeout=5).status_code == 200
    assert not data_dir.exists()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{sandbox.url}/_sandbox/clock", timeout=5)


def test_the_readmes_python_example_runs() -> None:
    readme = (Path(__file__).parents[2] / "sandbox" / "README.md").read_text()
    (example,) = re.findall(r"```python\n(.*?)```", readme, re.DOTALL)
    namespace: dict[str, object] = {}
    exec(compile(example, "sandbox/README.md", "exec"), namespace)  # noqa: S102 - our own docs
    sandbox = namespace["sandbox"]
    assert isinstance(sandbox, RunningSandbox)
    assert sandbox.backend.erasures()[0].user_ids == ("10000017",)
    truth = namespace["truth"]
    assert isinstance(truth, dict)
    assert min(truth) in sandbox.backend.erased()
