"""`reserved_queue_slots` stays free for other tools whoever else holds jobs: other tools' jobs
already queued, or a second sync overlapping the first (a slow run and the next cron tick).

The sandbox's `max_live_jobs` is the ground truth: the most jobs Queued or Running at once.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from peopleai_sandbox import Faults
from tests.support.api_client import create_job_as_another_tool
from tests.support.processes import TapProcess
from tests.support.tap_runs import START, tap_config
from tests.support.truth import Warehouse

RESERVED = 3
QUEUE = 10


def _busy_sandbox(make_sandbox):  # type: ignore[no-untyped-def]
    # Many one-week snapshot windows and jobs that take a while: the syncs press on the queue.
    return make_sandbox(job_run_seconds=0.3, activities_per_day=10)


def _config(sandbox, tmp_path: Path):  # type: ignore[no-untyped-def]
    return tap_config(
        sandbox,
        reserved_queue_slots=RESERVED,
        snapshot_window_days=7,
        temp_dir=str(tmp_path),
    )


def test_other_tools_jobs_count_against_the_syncs_share(make_sandbox, tmp_path: Path) -> None:
    sandbox = make_sandbox(job_run_seconds=1.0, activities_per_day=10)
    # Another tool's jobs that stay Queued for the whole sync: 4 of the 7 slots the sync may
    # share. Its own first 3 jobs are created together (2 Running, 1 Queued behind them).
    sandbox.set_faults(Faults(stuck_job_rate=1.0))
    for day in range(1, 5):
        assert create_job_as_another_tool(sandbox, "delta", f"2026-06-0{day}", "2026-06-10").ok
    sandbox.set_faults(Faults())
    run = TapProcess(_config(sandbox, tmp_path), tmp_path / "sync")
    assert run.finish() == 0, run.stderr[-2000:]
    assert sandbox.backend.stats()["max_live_jobs"] == QUEUE - RESERVED
    warehouse = Warehouse()
    warehouse.load_messages(run.messages)
    warehouse.assert_equals(sandbox.backend.ground_truth(activity_from=START))


def test_two_overlapping_syncs_leave_the_reserved_slots_free(make_sandbox, tmp_path: Path) -> None:
    sandbox = _busy_sandbox(make_sandbox)
    config = _config(sandbox, tmp_path)
    first = TapProcess(config, tmp_path / "first")
    second = TapProcess(config, tmp_path / "second")
    # Both outputs are read as they come, so neither sync stalls on a full pipe.
    with ThreadPoolExecutor(2) as readers:
        codes = list(readers.map(TapProcess.finish, (first, second)))
    assert codes == [0, 0], first.stderr[-1000:] + second.stderr[-1000:]
    stats = sandbox.backend.stats()
    assert stats["max_live_jobs"] <= QUEUE - RESERVED
    assert stats["limit_errors"] == 0
    truth = sandbox.backend.ground_truth(activity_from=START)
    for run in (first, second):
        warehouse = Warehouse()
        warehouse.load_messages(run.messages)
        warehouse.assert_equals(truth)
