"""Parallel fragment downloads: one job of 8 bandwidth-limited fragments, 1 to 8 workers."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import shutil
from pathlib import Path

from benchmarks.exports import TODAY, bench_tap_config, sandbox
from benchmarks.report import say
from benchmarks.tap_process import run_tap
from peopleai_sandbox import Faults


@dataclasses.dataclass
class DownloadRow:
    workers: int
    wall: float
    working: float


def measure_downloads(
    root: Path, fragment_seconds: float, worker_counts: list[int]
) -> tuple[list[DownloadRow], int, int, int]:
    workdir = root / "downloads"
    workdir.mkdir()
    days = 4
    per_day = 400
    start = TODAY - dt.timedelta(days=days - 1)
    with sandbox(activities_per_day=per_day) as probe:
        total = len(probe.backend.export_truth("snapshot", start, TODAY))
    per_fragment = math.ceil(total / 8)
    rows = []
    with sandbox(activities_per_day=per_day, fragment_records=per_fragment) as running:
        config = bench_tap_config(
            running,
            start_date=start.isoformat(),
            scheduled_horizon_days=0,
        )
        run_tap("downloads first run", workdir, config, keep_output=False)
        (job,) = running.backend.list_jobs()
        fragments = job.fragment_count
        size = int(job.results_size or 0)
        bandwidth = max(1, int(size / fragments / fragment_seconds))
        running.set_faults(Faults(bandwidth_bytes_per_second=bandwidth))
        for workers in worker_counts:
            run = run_tap(
                f"downloads {workers} workers",
                workdir,
                {**config, "download_workers": workers},
                keep_output=False,
            )
            rows.append(DownloadRow(workers, run.wall, run.working))
            say(f"[downloads] {workers} worker(s): {run.wall:.1f} s")
    shutil.rmtree(workdir, ignore_errors=True)
    return rows, fragments, size, bandwidth


def report_downloads(
    rows: list[DownloadRow], fragments: int, size: int, bandwidth: int
) -> list[str]:
    base = rows[0]
    lines = [
        f"### Parallel downloads: one job, {fragments} fragments of ~{size / fragments / 1000:,.0f}"
        f" kB, bandwidth limited to {bandwidth / 1000:,.0f} kB/s per connection "
        f"(~{size / fragments / bandwidth:.1f} s a fragment)",
        "",
        "| download_workers | wall s | wall after start-up s | speed-up (after start-up) | ideal |",
        "|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        ideal = min(row.workers, fragments)
        lines.append(
            f"| {row.workers} | {row.wall:.2f} | {row.working:.2f} "
            f"| {base.working / row.working:.2f}x | {ideal / base.workers:.0f}x |"
        )
    lines.append("")
    return lines
