"""Erased activities leave the warehouse after a reconciliation, and no live one does."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tap_peopleai.state.reconciliation import RECONCILE_HORIZON, ReconciliationProgress, RowVersions
from tests.support.processes import TapProcess
from tests.support.tap_runs import START, run_tap, tap_config
from tests.support.times import parse_emitted
from tests.support.truth import Warehouse


class VersionedWarehouse(Warehouse):
    """An upserting target that honours ACTIVATE_VERSION as target-postgres does."""

    def load_messages(self, messages: list[dict[str, Any]]) -> None:
        for message in messages:
            if message["type"] == "RECORD" and message["stream"] == "activities":
                assert message["version"] == message["record"]["sync_version"]
                super().load_messages([message])
            elif message["type"] == "ACTIVATE_VERSION":
                version = message["version"]
                self.rows = {
                    uid: row for uid, row in self.rows.items() if row["sync_version"] >= version
                }


def erase_some(sandbox, records) -> set[str]:  # type: ignore[no-untyped-def]
    """Erase two single activities and every activity of one internal user."""
    with_user = [r for r in records if r.get("participants")]
    user = str(with_user[0]["participants"][0]["peopleai_id"])
    sandbox.erase(uids=[records[5]["uid"], records[7]["uid"]], user_ids=[user])
    return set(sandbox.backend.erased())


def test_a_reconciliation_removes_erased_activities_and_keeps_every_live_one(
    make_sandbox,
) -> None:
    sandbox = make_sandbox()
    warehouse = VersionedWarehouse()
    # The same snapshot windows a reconciliation plans: their jobs, made before the erasure,
    # must not be reused by it.
    first = run_tap(tap_config(sandbox, scheduled_horizon_days=365))
    warehouse.load(first)
    erased = erase_some(sandbox, first.records) & set(warehouse.rows)
    assert len(erased) > 2
    sandbox.advance(seconds=3600)
    delta = run_tap(tap_config(sandbox), first.final_state)
    warehouse.load(delta)
    assert erased <= set(warehouse.rows), "a delta sync cannot know of erasures"

    reconciled = run_tap(tap_config(sandbox, reconcile=True))
    activations = [m for m in reconciled.messages if m["type"] == "ACTIVATE_VERSION"]
    assert len(activations) == 1
    (row,) = [
        m["record"]
        for m in reconciled.messages
        if m["type"] == "RECORD" and m["stream"] == "reconciliations"
    ]
    assert row["version"] == activations[0]["version"]
    warehouse.load(reconciled)
    warehouse.assert_equals(sandbox.backend.ground_truth(activity_from=START))
    assert not erased & set(warehouse.rows)
    assert "reconciliation" not in reconciled.bookmark, "a finished reconciliation is forgotten"


def test_a_reconciliation_killed_midway_and_rerun_ends_correct_with_syncs_in_between(
    make_sandbox, tmp_path
) -> None:
    sandbox = make_sandbox(activities_per_day=60, fragment_records=100)
    warehouse = VersionedWarehouse()
    first = run_tap(tap_config(sandbox))
    warehouse.load(first)
    erased = erase_some(sandbox, first.records) & set(warehouse.rows)
    assert erased
    config = tap_config(sandbox, reconcile=True, download_workers=1, snapshot_window_days=20)

    run = TapProcess(config, tmp_path / "reconcile-1")
    assert run.read_until(lambda messages: sum(m["type"] == "RECORD" for m in messages) > 400)
    run.kill()
    warehouse.load_messages(run.messages)
    state = run.last_state
    assert state is not None
    assert "reconciliation" in state["bookmarks"]["activities"]

    # Meanwhile People.ai ingests more, and the ordinary syncs load it.
    sandbox.advance(seconds=2 * 3600)
    delta = run_tap(tap_config(sandbox), first.final_state)
    warehouse.load(delta)

    resumed = TapProcess(config, tmp_path / "reconcile-2", state)
    assert resumed.finish() == 0, resumed.stderr[-2000:]
    warehouse.load_messages(resumed.messages)
    assert [m["type"] for m in resumed.messages].count("ACTIVATE_VERSION") == 1
    warehouse.assert_equals(sandbox.backend.ground_truth(activity_from=START))
    assert not erased & set(warehouse.rows)


def test_row_versions_keep_activities_beyond_a_reconciliations_reach_live() -> None:
    synced = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    versions = RowVersions(synced)
    near = versions.of("2026-06-01T10:00:00Z")
    far = versions.of("2028-01-01T10:00:00Z")
    assert near == versions.base
    # A reconciliation a month later reaches 2027-02-01: it can judge `near`, not `far`.
    later = ReconciliationProgress.start(synced + dt.timedelta(days=31), dt.date(2026, 2, 1))
    assert near < later.version < far
    # Once a reconciliation can see the far activity, its row is judged like any other.
    reach = parse_emitted("2028-01-01T10:00:00Z") - RECONCILE_HORIZON + dt.timedelta(days=1)
    assert far < ReconciliationProgress.start(reach, reach.date()).version
