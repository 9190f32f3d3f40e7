"""SIGINT and SIGTERM sent to a real tap process: whole messages, a final STATE, no temp files."""

from __future__ import annotations

import signal
import subprocess

import pytest

from peopleai_sandbox import Faults
from tests.support.processes import TapProcess
from tests.support.tap_runs import NOW, START, tap_config
from tests.support.truth import Warehouse


def _states(messages):  # type: ignore[no-untyped-def]
    return [m for m in messages if m["type"] == "STATE"]


def _assert_stopped_cleanly(run: TapProcess, signum: int, spool) -> None:  # type: ignore[no-untyped-def]
    code = run.finish()  # every stdout line parsed as JSON: a torn line fails here
    assert code == 128 + signum, run.stderr[-2000:]
    assert run.messages[-1]["type"] == "STATE", "the output ends with a STATE message"
    assert not list(spool.iterdir()), "temporary files outlived the process"
    errors = [line for line in run.stderr.splitlines() if "ERROR" in line]
    assert len(errors) == 1, errors
    assert f"Interrupted by {signal.Signals(signum).name}" in errors[0]
    assert "next run" in errors[0]
    assert "Traceback" not in run.stderr
    assert "Gracefully shutting down" not in run.stderr


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_mid_download_stops_with_a_final_state_and_the_rerun_completes(
    make_sandbox, tmp_path, signum: int
) -> None:
    sandbox = make_sandbox(
        activities_per_day=60,
        fragment_records=100,
        faults=Faults(bandwidth_bytes_per_second=400_000),
    )
    spool = tmp_path / "spool"
    spool.mkdir()
    config = tap_config(sandbox, scheduled_horizon_days=0, temp_dir=str(spool))
    run = TapProcess(config, tmp_path / "first")
    assert run.read_until(lambda messages: sum(m["type"] == "RECORD" for m in messages) > 250)
    run.send(signum)
    _assert_stopped_cleanly(run, signum, spool)
    state = run.messages[-1]["value"]
    assert state["bookmarks"]["activities"]["jobs"][0]["fragments_emitted"] >= 2

    resumed = TapProcess(config, tmp_path / "second", state)
    assert resumed.finish() == 0, resumed.stderr[-2000:]
    warehouse = Warehouse()
    warehouse.load_messages(run.messages + resumed.messages)
    # scheduled_horizon_days=0: meetings scheduled after today are not part of this sync
    truth = sandbox.backend.ground_truth(activity_from=START, activity_to=NOW.date())
    warehouse.assert_equals(truth)


def test_a_signal_while_waiting_on_a_job_stops_at_once_and_the_rerun_reuses_it(
    make_sandbox, tmp_path
) -> None:
    sandbox = make_sandbox(job_run_seconds=8)
    spool = tmp_path / "spool"
    spool.mkdir()
    # An hour between polls: a tap that sat out its poll interval would not end before the
    # guard below gives up, so ending at all shows the signal cut the wait short.
    config = tap_config(sandbox, temp_dir=str(spool), poll_interval=3600, job_timeout=7200)
    run = TapProcess(config, tmp_path / "first")
    assert run.read_until(
        lambda messages: any(
            s["value"]["bookmarks"]["activities"].get("jobs") for s in _states(messages)
        )
    )
    run.send(signal.SIGTERM)
    try:
        run.process.wait(timeout=120)  # a guard against a hang, not a measurement
    except subprocess.TimeoutExpired:
        run.kill()
        pytest.fail("the tap sat out its hour-long poll interval after SIGTERM")
    _assert_stopped_cleanly(run, signal.SIGTERM, spool)
    state = run.messages[-1]["value"]
    job_ids = {job["job_id"] for job in state["bookmarks"]["activities"]["jobs"]}
    before = sandbox.backend.stats()["jobs_created"]
    resumed = TapProcess(tap_config(sandbox, temp_dir=str(spool)), tmp_path / "second", state)
    assert resumed.finish() == 0, resumed.stderr[-2000:]
    assert sandbox.backend.stats()["jobs_created"] == before, f"jobs {job_ids} were reused"
    warehouse = Warehouse()
    warehouse.load_messages(resumed.messages)
    warehouse.assert_equals(sandbox.backend.ground_truth(activity_from=START))
