"""demo/record.py: which cause the demo names when its table differs from the truth.

The first cause (another run wrote into the demo's table) runs end to end in
tests/e2e/test_demo.py; the others need a changed sandbox or a broken tap, so their choice is
checked here on the record the demo keeps.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from demo import record as demo_record

T0 = datetime(2026, 12, 1, tzinfo=timezone.utc)
T1 = datetime(2026, 12, 2, tzinfo=timezone.utc)


def test_the_record_of_the_last_run_survives_a_round_trip_and_detects_changes(
    tmp_path: Path,
) -> None:
    table = {"a": ("email", T0, T0), "b": ("call", T0, T1)}
    last = demo_record.LastRun(
        "2026-12-02T00:00:00Z", "2026-11-02", "2026-12-02", demo_record.digest(table)
    )
    last.save(tmp_path / "last.json")
    assert demo_record.LastRun.load(tmp_path / "last.json") == last
    assert demo_record.LastRun.load(tmp_path / "missing.json") is None
    assert last.changed_by_others(table, "2026-12-02") == []
    newer = {**table, "b": ("call", T0, T0)}
    assert last.changed_by_others(newer, "2025-03-01") == [
        "the table output/demo.duckdb",
        "the demo's Meltano state (cursor 2026-12-02 -> 2025-03-01)",
    ]


def test_each_cause_is_named_only_when_it_is_what_was_detected() -> None:
    table = {"a": ("email", T0, T0)}
    digest = demo_record.digest(table)
    last = demo_record.LastRun("2026-12-02T00:00:00Z", "2026-11-02", None, digest)
    others = " ".join(demo_record.mismatch_causes(last, ["the table output/demo.duckdb"], table))
    assert "another run wrote into the demo's table or state" in others
    changed = " ".join(demo_record.mismatch_causes(last, [], {"z": ("call", T1, T1)}))
    assert "the sandbox's data changed" in changed
    assert "another run" not in changed
    bug = " ".join(demo_record.mismatch_causes(last, [], table))
    assert "a bug" in bug
    assert "sandbox's data changed" not in bug
    assert "a bug" in " ".join(demo_record.mismatch_causes(None, [], None))
