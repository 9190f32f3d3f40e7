"""Variant extra_fields: undocumented names everywhere, some only in later activities."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from peopleai_sandbox.pytest_plugin import SandboxFactory
from tests.support.api_client import MakeClient, records_of
from tests.support.record_paths import extra_paths, key_paths, without_extras
from tests.support.times import to_utc

UTC = timezone.utc
SMALL = {"activities_per_day": 60}
# the default epoch (2025-01-01) + the default late_fields_after_days (45)
LATE_FROM = datetime(2025, 2, 15, tzinfo=UTC)


def _export(api: Any, export_type: str, start: str, end: str) -> dict[str, dict[str, Any]]:
    done = api.run(export_type=export_type, start=start, end=end)
    return {record["uid"]: record for record in records_of(api.data(done["job_id"]).content)}


def _paths(records: dict[str, dict[str, Any]]) -> set[str]:
    return set().union(*(key_paths(record) for record in records.values()))


def test_documented_fields_stay_the_same_bytes(
    sandbox_factory: SandboxFactory, make_client: MakeClient
) -> None:
    plain = _export(make_client(sandbox_factory(**SMALL)), "snapshot", "2025-02-10", "2025-02-20")
    extended = _export(
        make_client(sandbox_factory(**SMALL, extra_fields=True)),
        "snapshot",
        "2025-02-10",
        "2025-02-20",
    )
    assert set(extended) == set(plain)
    assert len(plain) > 500
    for uid, record in extended.items():
        assert without_extras(record) == plain[uid]
        assert list(without_extras(record)) == list(plain[uid])  # same key order too


def test_every_undocumented_name_appears_with_its_type(
    sandbox_factory: SandboxFactory, make_client: MakeClient
) -> None:
    api = make_client(sandbox_factory(**SMALL, extra_fields=True))
    records = _export(api, "delta", "2025-02-16", "2025-02-28")
    paths = _paths(records)
    assert extra_paths(late=False) <= paths
    assert extra_paths(late=True) <= paths
    for record in records.values():
        assert isinstance(record["source_system"], str)
        assert isinstance(record["is_private"], bool)
        assert record.get("sentiment_score", 0.0) is None or isinstance(
            record.get("sentiment_score", 0.0), float
        )
        assert isinstance(record.get("message_count", 1), int)
        assert isinstance(record["ai_summary"], str)  # every one was ingested after LATE_FROM
        if "enrichment" in record:
            assert set(record["enrichment"]) == {"provider", "confidence", "signals"}
            assert isinstance(record["enrichment"]["signals"], list)
        if "engagement" in record:
            assert set(record["engagement"]) == {"score", "trend"}
        for name in ("labels", "risk_flags"):
            assert all(isinstance(item, str) for item in record.get(name, []))
        for person in record["participants"]:
            assert person["linkedin_url"].startswith("https://www.linkedin.example/in/")
    assert any(record.get("sentiment_score", 0.0) is None for record in records.values())
    assert any("sentiment_score" not in record for record in records.values())
    assert any(record.get("labels") == [] for record in records.values())


def test_late_names_only_in_versions_ingested_from_the_late_date(
    sandbox_factory: SandboxFactory,
) -> None:
    sandbox = sandbox_factory(**SMALL, extra_fields=True)
    records = sandbox.backend.truth_records()
    late = {uid for uid, record in records.items() if "ai_summary" in record}
    assert late == {
        uid for uid, record in records.items() if to_utc(record["ingest_timestamp"]) >= LATE_FROM
    }
    assert 0 < len(late) < len(records)
    for uid, record in records.items():
        found = key_paths(record) & extra_paths(late=True)
        assert bool(found) == (uid in late)
    everyone_late = sandbox_factory(**SMALL, extra_fields=True, late_fields_after_days=0)
    assert all("ai_summary" in r for r in everyone_late.backend.truth_records().values())


def test_a_schema_learned_30_days_earlier_misses_names(
    sandbox_factory: SandboxFactory, make_client: MakeClient
) -> None:
    day_minus_30 = datetime(2025, 2, 13, 12, tzinfo=UTC)
    sandbox = sandbox_factory(**SMALL, extra_fields=True, now=day_minus_30)
    api = make_client(sandbox)
    early = _export(api, "snapshot", "2025-01-01", "2025-02-13")
    sandbox.advance(days=30)
    api.login()
    today = sandbox.clock.now().date()
    later = _export(api, "delta", (today - timedelta(days=13)).isoformat(), today.isoformat())
    assert _paths(later) - _paths(early) == extra_paths(late=True)
    assert not _paths(early) & extra_paths(late=True)
