"""The sandbox exports the benchmark measures, and the tap's configuration for them.

The sandbox's clock is the tap tests' (tests/support/tap_runs.py), and the tap's settings are
the tests' ``tap_config`` with the benchmark's polling and job timeout.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from peopleai_sandbox import RunningSandbox, SandboxConfig, run_sandbox
from tests.support.tap_runs import NOW, tap_config

TODAY = NOW.date()
SNAPSHOT_DAYS = 10  # the exports measured are snapshots of this many days up to TODAY
POLL_INTERVAL = 0.05
BATCH_ENCODING = {"format": "jsonl", "compression": "gzip"}


@contextlib.contextmanager
def sandbox(**settings: Any) -> Iterator[RunningSandbox]:
    """A sandbox at the frozen NOW, its jobs Running briefly, with these settings on top."""
    base: dict[str, Any] = {"seed": 7, "now": NOW, "job_run_seconds": 0.05}
    with run_sandbox(SandboxConfig(**{**base, **settings})) as running:
        yield running


def bench_tap_config(running: RunningSandbox, **settings: Any) -> dict[str, Any]:
    """The tap's settings for ``running``: the tests' ``tap_config`` with quick polls, an hour
    for a job, and ``settings``."""
    return tap_config(running, poll_interval=POLL_INTERVAL, job_timeout=3600, **settings)


def batch_config(root: Path, prefix: str | None = "bench-") -> dict[str, Any]:
    """The tap's ``batch_config``: the shipped encoding, files under ``root``."""
    storage: dict[str, str] = {"root": root.as_uri()}
    if prefix is not None:
        storage["prefix"] = prefix
    return {"encoding": BATCH_ENCODING, "storage": storage}


@contextlib.contextmanager
def snapshot_sandbox(
    workdir: Path, seed: int, activities_per_day: int, fragment_records: int
) -> Iterator[tuple[RunningSandbox, dict[str, Any]]]:
    """A sandbox serving a snapshot of SNAPSHOT_DAYS days, and the tap settings selecting it."""
    start = TODAY - dt.timedelta(days=SNAPSHOT_DAYS - 1)
    with sandbox(
        seed=seed,
        activities_per_day=activities_per_day,
        fragment_records=fragment_records,
        data_dir=str(workdir / "sandbox"),
    ) as running:
        yield (
            running,
            bench_tap_config(running, start_date=start.isoformat(), scheduled_horizon_days=0),
        )


def export_activities(running: RunningSandbox, tap_settings: dict[str, Any]) -> int:
    """How many activities the export selected by ``tap_settings`` holds."""
    start = dt.date.fromisoformat(tap_settings["start_date"])
    return len(running.backend.ground_truth(activity_from=start, activity_to=TODAY))
