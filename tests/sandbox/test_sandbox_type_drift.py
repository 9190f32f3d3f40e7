"""Variant type_drift: values that depart from the documented types, coercible or not."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timezone
from typing import Any

from peopleai_sandbox.dataset.drift import CREATED_FORMATS, UNCOERCIBLE_DURATIONS
from peopleai_sandbox.pytest_plugin import SandboxFactory
from tests.support.api_client import MakeClient, records_of
from tests.support.record_paths import differing_paths
from tests.support.times import sent_instant, to_utc

UTC = timezone.utc
SMALL = {"activities_per_day": 30}
DRIFTING = {
    "duration",
    "created",
    "source_id",
    "reply_received",
    "crm_status.crm_id",
    "crm_status.opportunity.stage_rank",
    "participants[].crm_id",
}


def _created_format(value: str | int) -> str:
    if isinstance(value, int):
        return "epoch_ms"
    if value.endswith("GMT"):
        return "rfc1123"
    if " " in value:
        return "space"
    if value.endswith("+00:00"):
        return "offset"
    if "-" not in value:
        return "basic"
    return "documented"


def _created_instant(value: str | int) -> datetime:
    instant = sent_instant(value)
    assert instant is not None, f"created {value!r} names no instant"
    return instant


def test_documented_view_is_the_undrifted_universe(sandbox_factory: SandboxFactory) -> None:
    drifted = sandbox_factory(**SMALL, type_drift=True).backend
    plain = sandbox_factory(**SMALL).backend
    assert drifted.truth_records(documented_types=True) == plain.truth_records()
    assert drifted.truth_records() != plain.truth_records()


def test_drift_changes_values_at_the_documented_places_only(
    sandbox_factory: SandboxFactory,
) -> None:
    backend = sandbox_factory(**SMALL, type_drift=True).backend
    served = backend.truth_records()
    documented = backend.truth_records(documented_types=True)
    kinds: Counter[str] = Counter()
    changed: set[str] = set()
    for uid, record in served.items():
        origin = documented[uid]
        paths = differing_paths(record, origin)
        changed |= paths
        if "duration" in paths:
            if record["duration"] in UNCOERCIBLE_DURATIONS:
                kinds["duration uncoercible"] += 1
            else:
                assert record["duration"] == str(origin["duration"])
                kinds["duration coercible"] += 1
        if "crm_status.opportunity.stage_rank" in paths:
            rank = record["crm_status"]["opportunity"]["stage_rank"]
            wanted = origin["crm_status"]["opportunity"]["stage_rank"]
            assert rank == str(wanted) or (isinstance(rank, float) and rank == wanted)
            kinds[f"stage_rank {type(rank).__name__}"] += 1
        if "reply_received" in paths:
            assert record["reply_received"] == ("true" if origin["reply_received"] else "false")
            kinds["reply_received"] += 1
        if "source_id" in paths:
            assert isinstance(record["source_id"], int)
            assert record["type"] == "call"
        if "crm_status.crm_id" in paths:
            assert isinstance(record["crm_status"]["crm_id"], int)
        if "participants[].crm_id" in paths:
            assert any(isinstance(p["crm_id"], int) for p in record["participants"])
        if "created" in paths:
            kinds[_created_format(record["created"])] += 1
            assert _created_instant(record["created"]) == to_utc(origin["created"])
    assert changed == DRIFTING
    assert set(kinds) == {
        "duration uncoercible",
        "duration coercible",
        "stage_rank str",
        "stage_rank float",
        "reply_received",
        *CREATED_FORMATS,
    }
    peopleai_ids = [p["peopleai_id"] for r in served.values() for p in r["participants"]]
    assert {type(value) for value in peopleai_ids} == {int, str}


def test_every_version_of_an_activity_drifts_the_same_way(
    sandbox_factory: SandboxFactory,
) -> None:
    backend = sandbox_factory(**SMALL, type_drift=True).backend
    universe = backend.universe
    checked = 0
    for index in range(1500):
        versions = len(universe.skeleton(index).ingests)
        if versions < 2:
            continue
        first, last = (universe.record(index, number) for number in (1, versions))
        assert first["created"] == last["created"]
        assert type(first.get("duration")) is type(last.get("duration"))
        assert [type(p["crm_id"]) for p in first["participants"]] == [
            type(p["crm_id"]) for p in last["participants"][: len(first["participants"])]
        ]
        checked += 1
    assert checked > 50


def test_drifted_values_reach_the_wire(
    sandbox_factory: SandboxFactory, make_client: MakeClient
) -> None:
    sandbox = sandbox_factory(**SMALL, type_drift=True)
    api = make_client(sandbox)
    done = api.run(start="2025-02-01", end="2025-02-20")
    records: list[dict[str, Any]] = records_of(api.data(done["job_id"]).content)
    assert any(isinstance(record["created"], int) for record in records)
    assert any(isinstance(record.get("duration"), str) for record in records)
    truth = sandbox.backend.truth_records(activity_from=date(2025, 2, 1))
    assert all(record == truth[record["uid"]] for record in records)
