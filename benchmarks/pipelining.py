"""Job pipelining: a catch-up of one-day delta windows, the tap beside one job at a time.

The sandbox lets each job run a while, at most 2 Running and 10 queued; the tap keeps several
jobs in flight (10 - reserved_queue_slots of them). The sequential baseline drives the API
itself (tests/support/api_client.py): create, wait, download, parse, one window after another.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

import orjson

from benchmarks.exports import POLL_INTERVAL, TODAY, bench_tap_config, sandbox
from benchmarks.report import Check, say, verdict
from benchmarks.tap_process import run_tap
from peopleai_sandbox import RunningSandbox
from tests.support.api_client import ApiClient

TARGET_PIPELINE = 0.6  # the default tap's catch-up ÷ one job at a time


class JobWatcher:
    """Samples the sandbox's jobs: most Running at once, most Queued+Running at once."""

    def __init__(self, running: RunningSandbox) -> None:
        self.backend = running.backend
        self.max_running = 0
        self.max_active = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.is_set():
            states = [job.state for job in self.backend.list_jobs()]
            self.max_running = max(self.max_running, states.count("Running"))
            self.max_active = max(self.max_active, states.count("Running") + states.count("Queued"))
            self._stop.wait(0.01)

    def __enter__(self) -> JobWatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@dataclasses.dataclass
class PipelineRow:
    label: str
    wall: float
    jobs: int
    max_running: int
    max_active: int
    allowed: int | None = None  # our jobs queued or running at once: 10 - reserved_queue_slots
    note: str = ""


def measure_pipelining(root: Path, windows: int, run_seconds: float) -> list[PipelineRow]:
    workdir = root / "pipelining"
    workdir.mkdir()
    cursor = TODAY - dt.timedelta(days=windows - 1)
    settings = {"activities_per_day": 20, "fragment_records": 1000, "job_run_seconds": run_seconds}
    state = {"bookmarks": {"activities": {"cursor": cursor.isoformat()}}}
    rows = []
    for label, extra in (
        ("tap, default reserved_queue_slots (2)", {}),
        ("tap, reserved_queue_slots=8", {"reserved_queue_slots": 8}),
    ):
        with sandbox(**settings) as running:
            config = bench_tap_config(
                running,
                start_date=(cursor - dt.timedelta(days=30)).isoformat(),
                delta_window_days=1,
                **extra,
            )
            with JobWatcher(running) as watcher:
                run = run_tap(label[:40], workdir, config, state=state, keep_output=False)
            jobs = running.backend.stats()["jobs_created"]
        allowed = 10 - int(str(extra.get("reserved_queue_slots", 2)))
        rows.append(
            PipelineRow(label, run.wall, jobs, watcher.max_running, watcher.max_active, allowed)
        )
        say(f"[pipelining] {label}: {run.wall:.1f} s, {jobs} jobs")
    with sandbox(**settings) as running, JobWatcher(running) as watcher:
        wall = sequential_catch_up(running, cursor, windows)
        jobs = running.backend.stats()["jobs_created"]
    rows.append(
        PipelineRow(
            "one job at a time (this script drives the API: create, wait, download, parse)",
            wall,
            jobs,
            watcher.max_running,
            watcher.max_active,
            note="no tap start-up (~1 s) included",
        )
    )
    say(f"[pipelining] sequential: {wall:.1f} s")
    shutil.rmtree(workdir, ignore_errors=True)
    return rows


def sequential_catch_up(running: RunningSandbox, cursor: dt.date, windows: int) -> float:
    """The catch-up without pipelining: each window's job created only after the last is done."""
    started = time.perf_counter()
    with contextlib.closing(ApiClient(running)) as api, open(os.devnull, "wb") as null:
        api.login()
        for offset in range(windows):
            day = (cursor + dt.timedelta(days=offset)).isoformat()
            created = api.create(start=day, end=day, export_type="delta")
            job = api.wait(created["job_id"], timeout=3600, poll=POLL_INTERVAL)
            if job["state"] != "Completed":
                raise RuntimeError(f"the catch-up's job for {day} ended {job['state']}")
            for index in range(int(job.get("fragment") or 0)):
                with tempfile.SpooledTemporaryFile() as spool:
                    api.save(job["job_id"], index, spool)
                    spool.seek(0)
                    for line in spool:
                        null.write(orjson.dumps(orjson.loads(line)) + b"\n")
    return time.perf_counter() - started


def report_pipelining(
    rows: list[PipelineRow], windows: int, run_seconds: float
) -> tuple[list[str], list[Check]]:
    sequential = rows[-1].wall
    lines = [
        f"### Pipelining: catch-up of {windows} one-day delta windows "
        f"(sandbox: each job Running ≥ {run_seconds:g} s, at most 2 Running and 10 queued)",
        "",
        "| run | wall s | jobs | most Running at once | most queued+running at once "
        "| allowed (10 - reserved_queue_slots) | ÷ one at a time |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    checks = []
    for row in rows:
        note = f" ({row.note})" if row.note else ""
        allowed = "-" if row.allowed is None else str(row.allowed)
        lines.append(
            f"| {row.label}{note} | {row.wall:.2f} | {row.jobs} | {row.max_running} "
            f"| {row.max_active} | {allowed} | {row.wall / sequential:.2f} |"
        )
        if row.allowed is not None:
            checks.append(
                (
                    f"{row.label}: at most {row.allowed} of our jobs queued or running "
                    f"(most seen: {row.max_active})",
                    row.max_active <= row.allowed,
                )
            )
    ratio = rows[0].wall / sequential
    ok = ratio <= TARGET_PIPELINE
    lines += [
        "",
        f"Target: default tap ÷ one job at a time = {ratio:.2f} ≤ {TARGET_PIPELINE} → "
        f"{verdict(ok)}. `reserved_queue_slots=8` still keeps more than one job in flight, so "
        "it overlaps too; the one-at-a-time row is the sequential baseline (jobs sampled from "
        "the sandbox every 10 ms).",
        "",
    ]
    return lines, [("pipelined catch-up ÷ one job at a time", ok), *checks]
