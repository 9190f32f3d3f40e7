"""truth_records: the full record of every live activity, exactly as the API serves it."""

from __future__ import annotations

from datetime import date, timedelta

import requests

from peopleai_sandbox.pytest_plugin import DEFAULT_TEST_NOW, SandboxFactory
from tests.support.api_client import MakeClient, records_of
from tests.support.times import to_utc

TINY = {"activities_per_day": 20}
EVERY_VARIANT = {"extra_fields": True, "type_drift": True, "timestamp_style": "mixed"}
EVERYTHING = {"start": "2024-12-20", "end": "2025-04-15"}


def test_truth_records_equal_a_snapshot_of_every_activity(
    sandbox_factory: SandboxFactory, make_client: MakeClient
) -> None:
    sandbox = sandbox_factory(**TINY, **EVERY_VARIANT, gzip=True, line_noise=True)
    api = make_client(sandbox)
    done = api.run(**EVERYTHING)
    text = api.data(done["job_id"]).content.decode("utf-8-sig").rstrip("\x00")
    served = {record["uid"]: record for record in records_of(text.encode())}
    truth = sandbox.backend.truth_records()
    assert served == truth
    assert len(truth) == len(sandbox.backend.ground_truth()) > 1000


def test_truth_records_as_of_an_earlier_instant(
    sandbox_factory: SandboxFactory, make_client: MakeClient
) -> None:
    sandbox = sandbox_factory(**TINY, **EVERY_VARIANT)
    earlier = DEFAULT_TEST_NOW - timedelta(days=12, hours=5)
    sandbox.clock.set(earlier)
    api = make_client(sandbox)
    done = api.run(**EVERYTHING)
    served = {r["uid"]: r for r in records_of(api.data(done["job_id"]).content)}
    sandbox.clock.set(DEFAULT_TEST_NOW)
    assert sandbox.backend.truth_records(as_of=earlier) == served
    assert sandbox.backend.truth_records() != served


def test_truth_records_filter_like_the_ground_truth(sandbox_factory: SandboxFactory) -> None:
    backend = sandbox_factory(**TINY, **EVERY_VARIANT).backend
    window = (date(2025, 2, 3), date(2025, 2, 9))
    records = backend.truth_records(activity_from=window[0], activity_to=window[1])
    rows = backend.ground_truth(*window)
    assert set(records) == set(rows)
    for uid, record in records.items():
        assert record["type"] == rows[uid].type
        assert to_utc(record["timestamp"]) == rows[uid].timestamp
        assert to_utc(record["ingest_timestamp"]) == rows[uid].ingest_timestamp
    meetings = backend.truth_records(activity_type="meeting")
    assert set(meetings) == set(backend.ground_truth(activity_type="meeting"))
    assert {record["type"] for record in meetings.values()} == {"meeting"}


def test_the_truth_records_endpoint(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(**TINY, **EVERY_VARIANT)
    params = {"activity_from": "2025-02-20", "activity_type": "call"}
    body = requests.get(f"{sandbox.url}/_sandbox/truth-records", params=params, timeout=30).json()
    python = sandbox.backend.truth_records(activity_from=date(2025, 2, 20), activity_type="call")
    assert body["count"] == len(python) > 0
    assert {record["uid"]: record for record in body["records"]} == python
    documented = requests.get(
        f"{sandbox.url}/_sandbox/truth-records",
        params={**params, "documented_types": "true"},
        timeout=30,
    ).json()
    assert documented["records"] == list(
        sandbox.backend.truth_records(
            activity_from=date(2025, 2, 20), activity_type="call", documented_types=True
        ).values()
    )
    assert documented["records"] != body["records"]
    bad = requests.get(f"{sandbox.url}/_sandbox/truth-records", params={"as_of": "x"}, timeout=30)
    assert bad.status_code == 400
    assert "as_of" in bad.json()["message"]
