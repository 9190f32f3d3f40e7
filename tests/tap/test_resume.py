"""Crash and resume: jobs in flight are reused, emitted fragments are not fetched again."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from peopleai_sandbox import Faults
from tests.support.api_client import create_job_as_another_tool
from tests.support.processes import TapProcess
from tests.support.secret_forms import SECRET, leaks
from tests.support.tap_runs import NOW, START, run_tap, tap_config
from tests.support.truth import Warehouse

# The faults whose answers look whole and are not (counted as fault_<kind>).
SPOILED_ANSWERS = (
    "truncated_gzip",
    "empty_download",
    "short_download",
    "endless_redirect",
    "empty_redirect",
    "unknown_state",
    "missing_state",
)


def bookmark_of(state):  # type: ignore[no-untyped-def]
    return state["bookmarks"]["activities"]


def fragments_done(messages) -> int:  # type: ignore[no-untyped-def]
    states = [m["value"] for m in messages if m["type"] == "STATE"]
    jobs = bookmark_of(states[-1]).get("jobs", []) if states else []
    return max((job["fragments_emitted"] for job in jobs), default=0)


def test_sigkill_midway_resumes_the_same_job_and_only_the_missing_fragments(
    make_sandbox, tmp_path
) -> None:
    sandbox = make_sandbox(
        activities_per_day=60,
        fragment_records=100,
        faults=Faults(bandwidth_bytes_per_second=2_000_000),
    )
    config = tap_config(sandbox, download_workers=1, scheduled_horizon_days=0)
    run = TapProcess(config, tmp_path / "first")
    assert run.read_until(lambda messages: fragments_done(messages) >= 10)
    run.kill()
    state = run.last_state
    assert state is not None
    (job,) = bookmark_of(state)["jobs"]
    assert job["fragments_emitted"] >= 10
    stats_before = sandbox.backend.stats()

    resumed = TapProcess(config, tmp_path / "second", state)
    assert resumed.finish() == 0, resumed.stderr[-2000:]
    stats_after = sandbox.backend.stats()
    assert stats_after["jobs_created"] == stats_before["jobs_created"], "the job was reused"
    assert f"Resuming job {job['job_id']}" in resumed.stderr
    fragments = stats_after["downloads"] - stats_before["downloads"]
    truth = sandbox.backend.ground_truth(activity_from=START, activity_to=NOW.date())
    total = -(-len(truth) // 100)
    # The remaining fragments, plus at most one probe past the end.
    assert fragments <= total - job["fragments_emitted"] + 1

    warehouse = Warehouse()
    for messages in (run.messages, resumed.messages):
        warehouse.load_messages(messages)
    warehouse.assert_equals(truth)
    assert bookmark_of(resumed.last_state)["cursor"] == NOW.date().isoformat()


def test_a_job_left_by_a_crashed_run_is_found_in_the_job_list_and_reused(make_sandbox) -> None:
    sandbox = make_sandbox()
    last = NOW.date() + dt.timedelta(days=60)
    response = create_job_as_another_tool(sandbox, "snapshot", START.isoformat(), last.isoformat())
    assert response.status_code == 200
    result = run_tap(tap_config(sandbox))
    assert sandbox.backend.stats()["jobs_created"] == 1
    warehouse = Warehouse()
    warehouse.load(result)
    warehouse.assert_equals(sandbox.backend.ground_truth(activity_from=START))


@pytest.mark.parametrize("why", ["unknown", "expired", "failed", "replanned"])
def test_a_stored_job_that_cannot_be_resumed_is_dropped_and_the_window_exported_again(
    make_sandbox, why
) -> None:
    sandbox = make_sandbox(faults=Faults(job_failure_rate=1.0) if why == "failed" else Faults())
    first = run_tap(tap_config(sandbox), expect_error=why == "failed")
    state = first.final_state
    bookmark = bookmark_of(state)
    if why == "failed":
        sandbox.set_faults(Faults())
    else:
        # Pretend the sync died holding a job for the next delta window.
        today = NOW.date()
        bookmark["jobs"] = [
            {
                "export_type": "delta",
                "start_date": today.isoformat(),
                "end_date": today.isoformat(),
                "activity_type": "all",
                "job_id": "424242",
                "fragments_emitted": 3,
            }
        ]
        if why == "expired":
            run_tap(tap_config(sandbox), state)  # exports today's window with job 1002
            bookmark["jobs"][0]["job_id"] = "1002"
            sandbox.advance(days=11)
        if why == "replanned":
            sandbox.advance(days=1)
    result = run_tap(tap_config(sandbox), state)
    warehouse = Warehouse()
    warehouse.load(first)
    warehouse.load(result)
    warehouse.assert_equals(sandbox.backend.ground_truth(activity_from=START))
    assert "jobs" not in result.bookmark


@pytest.mark.slow
def test_fault_soak_with_kills_and_days_passing_loses_nothing(
    make_sandbox, tmp_path, capsys
) -> None:
    rng = random.Random(20261130)
    sandbox = make_sandbox(
        activities_per_day=30,
        fragment_records=40,
        reprocess_rate=0.3,
        token_ttl_seconds=1.5,
        client_secret=SECRET,
        faults=Faults(
            http_error_rate=0.1,
            drop_download_rate=0.2,
            corrupt_download_rate=0.1,
            job_failure_rate=0.05,
            stuck_job_rate=0.05,
            html_error_bodies=True,
            echo_requests=True,
            # answers that look whole and are not (see README, What the tap promises)
            truncated_gzip_rate=0.1,
            empty_download_rate=0.05,
            short_download_rate=0.03,
            endless_redirect_rate=0.05,
            empty_redirect_rate=0.05,
            unknown_state_rate=0.1,
            missing_state_rate=0.1,
        ),
    )
    spool = tmp_path / "spool"
    spool.mkdir()
    config = tap_config(
        sandbox,
        job_timeout=3,
        delta_window_days=5,
        snapshot_window_days=45,
        download_workers=3,
        temp_dir=str(spool),
    )
    warehouse = Warehouse()
    state = None
    figures = {"syncs": 0, "kills": 0, "failed": 0}
    for number in range(14):
        run = TapProcess(config, tmp_path / f"sync-{number}", state)
        if rng.random() < 0.5:
            target = rng.randint(1, 12)
            counted = run.read_until(
                lambda messages, n=target: sum(m["type"] == "STATE" for m in messages) >= n
            )
            run.kill()
            figures["kills"] += counted
        else:
            figures["failed"] += run.finish() != 0
        figures["syncs"] += 1
        warehouse.load_messages(run.messages)
        state = run.last_state or state
        if state is not None:
            assert "cursor" not in bookmark_of(state) or (
                bookmark_of(state)["cursor"] <= sandbox.clock.now().date().isoformat()
            )
        sandbox.advance(days=rng.choice([0, 0.3, 1, 2, 4]))
    sandbox.set_faults(Faults())
    final = TapProcess(config, tmp_path / "final", state)
    assert final.finish() == 0, final.stderr[-3000:]
    warehouse.load_messages(final.messages)
    warehouse.assert_equals(sandbox.backend.ground_truth(activity_from=START))
    stats = sandbox.backend.stats()
    duplicates = warehouse.received - len(warehouse.rows)
    with capsys.disabled():  # the figures belong in the test run's output, not only on failure
        print(
            f"\nsoak: syncs={figures['syncs'] + 1} kills={figures['kills']} "
            f"failed_runs={figures['failed']} faults={stats['faults_injected']} "
            f"records={warehouse.received} activities={len(warehouse.rows)} "
            f"re-emitted={duplicates} jobs={stats['jobs_created']}"
        )
    assert figures["kills"] >= 3
    assert stats["faults_injected"] > 20
    # Killed syncs' spool directories were removed by the syncs after them.
    assert not list(spool.iterdir())
    # Error bodies echoed the secret and the tokens; no log line or file shows them.
    logs = "\n".join(path.read_text() for path in tmp_path.rglob("stderr.log"))
    assert stats["fault_echoed_request"] > 0
    for secret in (SECRET, *sandbox.backend.issued_tokens()):
        assert leaks(logs, secret) == []
    spoiled = {kind: stats[f"fault_{kind}"] for kind in SPOILED_ANSWERS}
    with capsys.disabled():
        print(f"soak: answers that looked whole and were not: {spoiled}")
    assert sum(spoiled.values()) >= 5


def test_fragments_that_vanish_midway_make_the_tap_export_the_window_again(
    make_sandbox, tmp_path
) -> None:
    sandbox = make_sandbox(
        activities_per_day=60,
        fragment_records=100,
        faults=Faults(bandwidth_bytes_per_second=1_500_000),
    )
    truth = sandbox.backend.ground_truth(activity_from=START, activity_to=NOW.date())
    config = tap_config(sandbox, download_workers=1, scheduled_horizon_days=0)
    run = TapProcess(config, tmp_path)
    assert run.read_until(lambda messages: fragments_done(messages) >= 2)
    sandbox.advance(days=11)  # past retention: the job and its files are gone
    assert run.finish() == 0, run.stderr[-3000:]
    assert "lost its files" in run.stderr or "vanished" in run.stderr
    assert sandbox.backend.stats()["jobs_created"] == 2
    emitted = {m["record"]["uid"] for m in run.messages if m["type"] == "RECORD"}
    assert set(truth) <= emitted
