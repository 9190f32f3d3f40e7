"""End to end: the DuckDB loader SIGKILLed during `meltano run tap-peopleai-bulk target-duckdb`.

An out-of-memory kill hits the loader, with no chance to clean up; then the rest of the run goes
too (here: SIGKILL to Meltano and the tap, as a container's end would). Meltano holds only the
STATE messages the loader passed on, and the loader passes one on only once every row before it
is committed; so the rerun (with `--force`, as the README says after a kill) resumes from a
state whose rows are all in the table, and the table ends equal to the truth: no activity lost,
none twice, none at an older version.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import psutil
import pytest

from tests.support.tap_runs import meltano_env
from tests.support.truth import compare, latest_versions
from tests.support.warehouse_rows import duckdb_rows

SANDBOX_NOW = datetime(2025, 3, 1, 12, 0, 0, tzinfo=timezone.utc)
START_DATE = (SANDBOX_NOW - timedelta(days=30)).date()
# A state id of its own: the killed run's record must not block other tests' runs.
SUFFIX = "killed-loader"
STATE_ID = f"sandbox:tap-peopleai-bulk-to-target-duckdb:{SUFFIX}"
RUN = ("run", "--state-id-suffix", SUFFIX, "tap-peopleai-bulk", "target-duckdb")

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]


def _loader_of(run: Any) -> psutil.Process | None:
    """The target-duckdb-bulk process among the `meltano run` process's children."""
    with contextlib.suppress(psutil.NoSuchProcess):
        for child in psutil.Process(run.pid).children(recursive=True):
            with contextlib.suppress(psutil.NoSuchProcess):
                if any("target-duckdb-bulk" in part for part in child.cmdline()):
                    return child
    return None


def _kill_loader_once(
    run: Any, saved_midway: Callable[[], bool], log: Path, deadline_s: float = 300
) -> None:
    """SIGKILL the loader once Meltano saved a state midway through the sync."""
    deadline = time.monotonic() + deadline_s
    while run.poll() is None and time.monotonic() < deadline:
        loader = _loader_of(run)
        if loader is not None and saved_midway():
            loader.send_signal(signal.SIGKILL)
            return
        time.sleep(0.5)
    ended = run.poll()
    raise AssertionError(f"the run ended ({ended}) before the kill:\n{log.read_text()[-6000:]}")


def test_loader_killed_mid_sync_then_rerun_equals_truth(
    meltano_project: Any, sandbox_factory: Callable[..., Any], tmp_path: Path
) -> None:
    # Small fragments and slow jobs: many BATCH messages, each followed by a STATE.
    sandbox = sandbox_factory(
        now=SANDBOX_NOW, activities_per_day=100, seed=31, job_run_seconds=1.0, fragment_records=300
    )
    db = tmp_path / "killed.duckdb"
    env = meltano_env(
        sandbox,
        START_DATE,
        {
            "TARGET_DUCKDB_FILEPATH": str(db),
            "TARGET_DUCKDB_DEFAULT_TARGET_SCHEMA": "peopleai",
            "TAP_PEOPLEAI_SNAPSHOT_WINDOW_DAYS": "5",
        },
    )
    meltano_project.run("state", "clear", "--force", STATE_ID, env=env, check=False)

    def saved_midway() -> bool:
        state = meltano_project.state(STATE_ID, env=env, missing_ok=True)
        bookmark = state.get("singer_state", {}).get("bookmarks", {}).get("activities", {})
        snapshot = bookmark.get("snapshot") or {}
        return snapshot.get("next_start", START_DATE.isoformat()) > START_DATE.isoformat()

    log = tmp_path / "killed.log"
    with log.open("w") as stderr:
        run = meltano_project.start(*RUN, env=env, stderr=stderr)
        try:
            _kill_loader_once(run, saved_midway, log)
            time.sleep(2)  # what Meltano does with the loader's last words, it does now
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(run.pid, signal.SIGKILL)  # the rest of the run
            run.wait()

    truth = latest_versions(sandbox.backend.ground_truth(activity_from=START_DATE))
    loaded = duckdb_rows(db, "peopleai", "activities")
    assert 0 < len(loaded) < len(truth), "the kill came midway through the sync"

    rerun = meltano_project.run(RUN[0], "--force", *RUN[1:], env=env)
    problems = compare(duckdb_rows(db, "peopleai", "activities"), truth)
    assert not problems, f"after the rerun: {problems}\n{rerun.stderr[-4000:]}"
