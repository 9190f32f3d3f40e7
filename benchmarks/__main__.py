"""Benchmark of tap-peopleai against the sandbox on loopback, baselines measured in the same run.

    make bench                                    # 100 MB and 1 GB exports, and the pipelines
    .venv/bin/python -m benchmarks --sizes 100,1000
    .venv/bin/python -m benchmarks --quick        # a few MB each (a smoke test, minutes)

For each export size (a snapshot over 10 days; "size" = bytes of the export's fragment files),
``throughput.py``:

1. the tap in RECORD mode (its fast record path), stdout to a file: records/s, MB/s of Singer
   output, peak RSS of the tap process;
2. the same tap with the SDK's default writer (so the SDK's generic record path: recursive type
   conformance, simplejson, a flush per message) on the same job: records/s, and its records
   compared with the fast path's (every field, with types, ignoring ``time_extracted``);
3. a raw ``orjson`` loop over the same fragment files (downloaded once with requests);
4. ``cat`` of the fragment files to /dev/null;
5. the tap in BATCH mode (``batch_config``: jsonl.gz files in a temporary directory).

Then job pipelining (``pipelining.py``: a catch-up of 26 one-day delta windows), parallel
fragment downloads (``downloads.py``: 8 bandwidth-limited fragments, 1/2/4/8 workers), the
pipeline table (``pipelines.py``: the tap into each shipped loader, the dbt models, native bulk
loads; 100k+ activities), and the shipped pipelines through `meltano run` as users run them
(``meltano_runs.py``: 650k+ activities, 1 GB of export, beside the tap alone and each
engine's own load, with the peak memory of tap and loader). Targets are checked as ratios of
figures measured in this run. Timings are printed, never asserted by tests. The sandbox, the
PostgreSQL server, the tap's settings and processes are the tests' own (tests/support).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.downloads import measure_downloads, report_downloads
from benchmarks.meltano_runs import measure as measure_meltano_runs
from benchmarks.pipelines import measure as measure_pipeline_table
from benchmarks.pipelining import measure_pipelining, report_pipelining
from benchmarks.report import Check, load_average, machine, say, verdict
from benchmarks.throughput import measure_size
from benchmarks.throughput_report import report_sizes


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.split("\n\n")[0] if __doc__ else None
    )
    parser.add_argument("--quick", action="store_true", help="a small run (a few MB each; minutes)")
    parser.add_argument(
        "--sizes", help="export sizes in MB, comma-separated (default 100,1000; quick: 3)"
    )
    parser.add_argument(
        "--sdk-max-seconds",
        type=float,
        default=120.0,
        help="stop the SDK default path after this long and measure the prefix (default 120)",
    )
    parser.add_argument("--skip-sizes", action="store_true", help="no throughput measurements")
    parser.add_argument("--skip-pipelining", action="store_true")
    parser.add_argument("--skip-downloads", action="store_true")
    for skip, per_day, table, default in (
        ("--skip-pipeline-table", "--pipeline-activities-per-day", "tap -> loader -> models table",
         "13000: 100k+"),
        ("--skip-meltano-runs", "--meltano-activities-per-day", "`meltano run` table",
         "82000: 650k+ activities, 1 GB of export"),
    ):  # fmt: skip
        parser.add_argument(skip, action="store_true", help=f"no {table}")
        parser.add_argument(
            per_day,
            type=int,
            help=f"activities per day of the {table}'s 10-day export (default {default}; "
            "quick: 150)",
        )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="profile the RECORD-mode run of the first size (cProfile) and print the top",
    )
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    # Measure processes as users run them, with bytecode cached after the first run: a shell
    # with PYTHONDONTWRITEBYTECODE set (as some CI images do) makes every tap process compile
    # its ~550 modules again, ~1 s of start-up that no installed tap pays.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    if args.sizes:
        sizes = [float(size) for size in args.sizes.split(",") if size.strip()]
    else:
        sizes = [3.0] if args.quick else [100.0, 1000.0]
    fragment_records = 500 if args.quick else 20_000
    windows = 6 if args.quick else 26
    run_seconds = 0.2 if args.quick else 0.75
    fragment_seconds = 0.15 if args.quick else 1.0
    began = time.perf_counter()
    load_before = load_average()
    say(f"load average before: {load_before}")
    root = Path(tempfile.mkdtemp(prefix="tap-peopleai-bench-"))
    checks: list[Check] = []
    lines: list[str] = []
    try:
        results = []
        for number, size in enumerate([] if args.skip_sizes else sizes):
            profile = root / "record.prof" if args.profile and number == 0 else None
            results.append(
                measure_size(size, root, fragment_records, args.sdk_max_seconds, profile)
            )
            if profile is not None:
                stats = pstats.Stats(str(profile), stream=sys.stderr)
                say("profile of the RECORD-mode run (top 20 by own time):")
                stats.sort_stats("tottime").print_stats(20)
        size_lines, size_checks = report_sizes(results)
        lines += size_lines
        checks += size_checks
        if not args.skip_pipelining:
            rows = measure_pipelining(root, windows, run_seconds)
            pipe_lines, pipe_checks = report_pipelining(rows, windows, run_seconds)
            lines += pipe_lines
            checks += pipe_checks
        if not args.skip_downloads:
            download_rows, fragments, size_bytes, bandwidth = measure_downloads(
                root, fragment_seconds, [1, 2, 4, 8]
            )
            lines += report_downloads(download_rows, fragments, size_bytes, bandwidth)
        if not args.skip_pipeline_table:
            per_day = args.pipeline_activities_per_day or (150 if args.quick else 13_000)
            table = measure_pipeline_table(per_day, 500 if args.quick else 5_000)
            lines += table.lines
            checks += table.checks
        if not args.skip_meltano_runs:
            per_day = args.meltano_activities_per_day or (150 if args.quick else 82_000)
            runs = measure_meltano_runs(per_day, 500 if args.quick else 5_000)
            lines += runs.lines
            checks += runs.checks
    finally:
        shutil.rmtree(root, ignore_errors=True)
    elapsed = time.perf_counter() - began
    header = [
        "## tap-peopleai benchmark",
        "",
        f"Sandbox on loopback, {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC, "
        f"`{' '.join(['python -m benchmarks', *argv])}`, {elapsed:.0f} s in all.",
        *machine(),
        f"- load average before: {load_before}; after: {load_average()}",
        "",
        "Every figure is wall-clock time of a whole tap process (Python start-up, token, job "
        'list, downloads from the sandbox, records to a file); "after start-up" leaves out the '
        "time until the tap's first output (imports and set-up). Targets are checked on the "
        "whole wall time.",
        "",
        *(
            [
                "**Quick run** (a few MB, a smoke test): the figures are dominated by start-up; "
                "the targets mean something only for the default sizes.",
                "",
            ]
            if args.quick
            else []
        ),
    ]
    summary = ["### Targets", ""]
    summary += [f"- {verdict(ok)} {name}" for name, ok in checks]
    print("\n".join([*header, *lines, *summary, ""]), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
