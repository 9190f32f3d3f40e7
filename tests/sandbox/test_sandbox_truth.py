"""Ground truth and export semantics: snapshot by activity date, delta by processing date."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from typing import Any

from peopleai_sandbox import RunningSandbox
from peopleai_sandbox.dataset.skeletons import Skeleton
from peopleai_sandbox.times import from_us, to_us
from tests.support.api_client import ApiClient, records_of
from tests.support.truth import observed_rows, truth_rows


def _find(sandbox: RunningSandbox, wanted: Callable[[Skeleton], bool]) -> Skeleton:
    universe = sandbox.backend.universe
    now_us = to_us(sandbox.clock.now())
    for index in range(universe.existing_count(now_us)):
        skeleton = universe.skeleton(index)
        if wanted(skeleton):
            return skeleton
    raise AssertionError("no such activity in the universe")


def _day(value_us: int) -> date:
    return from_us(value_us).date()


def _export(
    client: ApiClient, export_type: str, start: date, end: date
) -> dict[str, dict[str, Any]]:
    done = client.run(export_type=export_type, start=start.isoformat(), end=end.isoformat())
    return {r["uid"]: r for r in records_of(client.data(done["job_id"]).content)}


def test_delta_returns_each_version_in_its_processing_window(
    client: ApiClient, sandbox: RunningSandbox
) -> None:
    now_us = to_us(sandbox.clock.now())
    skeleton = _find(
        sandbox,
        lambda s: (
            len(s.ingests) >= 2
            and s.ingests[1] <= now_us
            and _day(s.ingests[1]) > _day(s.ingests[0])
        ),
    )
    uid = sandbox.backend.universe.uid(skeleton.index)
    first_day, second_day = _day(skeleton.ingests[0]), _day(skeleton.ingests[1])
    early = _export(client, "delta", first_day, first_day)[uid]
    assert "(update" not in early["subject"]
    assert early["ingest_timestamp"] == from_us(skeleton.ingests[0] // 10**6 * 10**6).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    late = _export(client, "delta", second_day, second_day)[uid]
    assert "(update 2)" in late["subject"]
    assert late["participants"] != early["participants"]
    assert late["crm_status"]["pushed"] is True
    both = _export(client, "delta", first_day, min(second_day, first_day + timedelta(days=13)))
    if second_day <= first_day + timedelta(days=13):
        assert both[uid] == late  # the latest version inside the window
    assert sandbox.backend.export_truth("delta", second_day, second_day)[uid].version == 2


def test_snapshot_returns_latest_content_by_activity_date(
    client: ApiClient, sandbox: RunningSandbox
) -> None:
    now_us = to_us(sandbox.clock.now())
    skeleton = _find(sandbox, lambda s: len(s.ingests) >= 2 and s.ingests[-1] <= now_us)
    uid = sandbox.backend.universe.uid(skeleton.index)
    activity_day = _day(skeleton.timestamps[-1])
    record = _export(client, "snapshot", activity_day, activity_day)[uid]
    assert f"(update {len(skeleton.ingests)})" in record["subject"]
    truth = sandbox.backend.ground_truth(activity_day, activity_day)[uid]
    assert truth.version == len(skeleton.ingests)


def test_a_rescheduled_meeting_moves_between_snapshot_days(
    client: ApiClient, sandbox: RunningSandbox
) -> None:
    now_us = to_us(sandbox.clock.now())
    skeleton = _find(
        sandbox,
        lambda s: (
            s.activity_type == "meeting"
            and len(s.ingests) >= 2
            and s.ingests[1] <= now_us
            and _day(s.timestamps[1]) != _day(s.timestamps[0])
        ),
    )
    uid = sandbox.backend.universe.uid(skeleton.index)
    old_day, new_day = _day(skeleton.timestamps[0]), _day(skeleton.timestamps[-1])
    assert uid not in _export(client, "snapshot", old_day, old_day) or old_day == new_day
    moved = _export(client, "snapshot", new_day, new_day)[uid]
    assert moved["start_time"] == moved["timestamp"]
    assert moved["timestamp"].startswith(new_day.isoformat())


def test_later_versions_appear_when_the_clock_reaches_them(
    client: ApiClient, sandbox: RunningSandbox
) -> None:
    now_us = to_us(sandbox.clock.now())
    skeleton = _find(
        sandbox, lambda s: len(s.ingests) >= 2 and s.ingests[0] <= now_us < s.ingests[1]
    )
    uid = sandbox.backend.universe.uid(skeleton.index)
    assert sandbox.backend.ground_truth()[uid].version == 1
    sandbox.clock.set(from_us(skeleton.ingests[1]))
    assert sandbox.backend.ground_truth()[uid].version == 2


def test_scheduled_meetings_have_future_activity_dates(
    client: ApiClient, sandbox: RunningSandbox
) -> None:
    now = sandbox.clock.now()
    truth = sandbox.backend.ground_truth()
    future = [row for row in truth.values() if row.timestamp > now]
    assert future
    assert {row.type for row in future} == {"meeting"}
    assert all(row.ingest_timestamp <= now for row in truth.values())
    window = (now.date() + timedelta(days=1), now.date() + timedelta(days=20))
    exported = _export(client, "snapshot", *window)
    assert exported
    assert {record["type"] for record in exported.values()} == {"meeting"}
    assert set(exported) == set(sandbox.backend.ground_truth(*window))


def test_today_is_partial_and_fills_as_the_clock_moves(
    client: ApiClient, sandbox: RunningSandbox
) -> None:
    today = sandbox.clock.now().date()
    midday = sandbox.backend.export_truth("delta", today, today)
    created = sandbox.clock.now()
    records = _export(client, "delta", today, today)
    assert set(records) == set(midday)
    assert all(row.ingest_timestamp <= created for row in midday.values())
    assert 80 <= len(midday) <= 120  # half of the 200 activities of a day
    sandbox.clock.set(datetime.combine(today, datetime.max.time(), timezone.utc))
    full_day = sandbox.backend.export_truth("delta", today, today)
    assert set(midday) < set(full_day)


def test_ground_truth_filters_by_activity_date_and_type(sandbox: RunningSandbox) -> None:
    backend = sandbox.backend
    everything = backend.ground_truth()
    assert len(everything) == backend.universe.existing_count(to_us(sandbox.clock.now()))
    february = backend.ground_truth(date(2025, 2, 1), date(2025, 2, 28))
    assert all(
        date(2025, 2, 1) <= row.timestamp.date() <= date(2025, 2, 28) for row in february.values()
    )
    assert {
        uid
        for uid, row in everything.items()
        if date(2025, 2, 1) <= row.timestamp.date() <= date(2025, 2, 28)
    } == set(february)
    calls = backend.ground_truth(activity_type="call")
    assert set(calls) == {uid for uid, row in everything.items() if row.type == "call"}
    mix = Counter(row.type for row in everything.values())
    assert 0.45 < mix["email"] / len(everything) < 0.55
    assert 0.25 < mix["meeting"] / len(everything) < 0.35
    reprocessed = sum(1 for row in everything.values() if row.version > 1)
    assert 0.05 < reprocessed / len(everything) < 0.12


def test_snapshot_and_delta_select_different_activities(
    client: ApiClient, sandbox: RunningSandbox
) -> None:
    window = (date(2025, 2, 10), date(2025, 2, 12))
    snapshot = sandbox.backend.export_truth("snapshot", *window)
    delta = sandbox.backend.export_truth("delta", *window)
    assert all(window[0] <= row.timestamp.date() <= window[1] for row in snapshot.values())
    assert all(window[0] <= row.ingest_timestamp.date() <= window[1] for row in delta.values())
    assert set(snapshot) != set(delta)
    assert observed_rows(list(_export(client, "delta", *window).values())) == truth_rows(delta)
