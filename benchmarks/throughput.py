"""Throughput of one export size: the tap in RECORD mode, the SDK default path, BATCH mode,
beside a raw ``orjson`` loop, ``cat`` and the HTTP download of the same fragment files.

The sandbox renders a job's files while the job is Running; that is the sandbox's business, not
the tap's, so the first tap run creates the job and every measured run adopts the Completed job
from the API's job list (download and emit only).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import gzip
import shutil
import time
from pathlib import Path

from benchmarks.baselines import cat_files, compare_records, download_fragments, raw_orjson_loop
from benchmarks.exports import SNAPSHOT_DAYS, TODAY, batch_config, bench_tap_config, sandbox
from benchmarks.report import MB, say
from benchmarks.tap_process import TapRun, run_tap
from tests.support.api_client import ApiClient

# Bytes of fragment files per (activities_per_day x day) of a snapshot, measured on the sandbox
# (records average ~1.5 KB; some activities of a day are dated elsewhere).
BYTES_PER_ACTIVITY_DAY = 1215


@dataclasses.dataclass
class SizeResult:
    size_mb: float
    export_bytes: int
    fragments: int
    records: int
    first_run: TapRun
    record_run: TapRun
    sdk_run: TapRun
    sdk_equal: bool
    sdk_compared: int
    sdk_note: str
    batch_run: TapRun
    batch_records: int
    batch_bytes: int
    raw_seconds: float
    raw_records: int
    raw_out_bytes: int
    cat_seconds: float
    download_seconds: float


def measure_size(
    size_mb: float, root: Path, fragment_records: int, sdk_limit: float, profile: Path | None
) -> SizeResult:
    workdir = root / f"size-{size_mb:g}MB"
    workdir.mkdir()
    per_day = max(1, round(size_mb * MB / (BYTES_PER_ACTIVITY_DAY * SNAPSHOT_DAYS)))
    start = TODAY - dt.timedelta(days=SNAPSHOT_DAYS - 1)
    say(f"[{size_mb:g} MB] sandbox: {per_day} activities/day, snapshot {start}..{TODAY}")
    with sandbox(
        activities_per_day=per_day,
        fragment_records=fragment_records,
        data_dir=str(workdir / "sandbox"),
    ) as running:
        config = bench_tap_config(
            running,
            start_date=start.isoformat(),
            scheduled_horizon_days=0,
            snapshot_window_days=365,
        )
        jobs = running.backend.stats
        first = run_tap("first run", workdir, config, keep_output=False)
        say(f"[{size_mb:g} MB] first run (job created and rendered): {first.wall:.1f} s")
        before = jobs()["jobs_created"]
        record_run = run_tap("record", workdir, config)
        record_run.jobs_created = jobs()["jobs_created"] - before
        if profile is not None:  # an extra run: profiling slows the tap down
            run_tap("record profiled", workdir, config, profile=profile, keep_output=False)
        say(f"[{size_mb:g} MB] RECORD: {record_run.records} records in {record_run.wall:.1f} s")
        with contextlib.closing(ApiClient(running)) as api:
            api.login()
            download_started = time.perf_counter()
            paths = download_fragments(api, workdir / "fragments")
            download_seconds = time.perf_counter() - download_started
        export_bytes = sum(p.stat().st_size for p in paths)
        cat_seconds = cat_files(paths)
        raw_seconds, raw_records, raw_out = raw_orjson_loop(paths, workdir / "raw.out.jsonl")
        say(f"[{size_mb:g} MB] raw loop: {raw_records} records in {raw_seconds:.1f} s")
        for path in paths:
            path.unlink()
        before = jobs()["jobs_created"]
        sdk_run = run_tap("sdk default", workdir, config, sdk_default=True, time_limit=sdk_limit)
        sdk_run.jobs_created = jobs()["jobs_created"] - before
        say(f"[{size_mb:g} MB] SDK default: {sdk_run.records} records in {sdk_run.wall:.1f} s")
        batch_dir = workdir / "batches"
        batch_dir.mkdir()
        before = jobs()["jobs_created"]
        batch_run = run_tap("batch", workdir, {**config, "batch_config": batch_config(batch_dir)})
        batch_run.jobs_created = jobs()["jobs_created"] - before
        batch_files = sorted(batch_dir.glob("bench-*.jsonl.gz"))
        batch_bytes = sum(p.stat().st_size for p in batch_files)
        batch_records = 0
        for path in batch_files:
            with gzip.open(path, "rb") as handle:
                batch_records += sum(1 for _ in handle)
        shutil.rmtree(batch_dir)
        say(f"[{size_mb:g} MB] BATCH: {batch_records} records in {batch_run.wall:.1f} s")
    equal, compared, note = compare_records(record_run.out_path, sdk_run.out_path)
    if equal and not sdk_run.stopped_early and compared != record_run.records:
        equal, note = False, "the default path emitted fewer records than the fast path"
    record_run.out_path.unlink()
    sdk_run.out_path.unlink()
    shutil.rmtree(workdir, ignore_errors=True)
    return SizeResult(
        size_mb=size_mb,
        export_bytes=export_bytes,
        fragments=len(paths),
        records=record_run.records,
        first_run=first,
        record_run=record_run,
        sdk_run=sdk_run,
        sdk_equal=equal,
        sdk_compared=compared,
        sdk_note=note,
        batch_run=batch_run,
        batch_records=batch_records,
        batch_bytes=batch_bytes,
        raw_seconds=raw_seconds,
        raw_records=raw_records,
        raw_out_bytes=raw_out,
        cat_seconds=cat_seconds,
        download_seconds=download_seconds,
    )
