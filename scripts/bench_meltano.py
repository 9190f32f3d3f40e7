"""The `meltano run` table of `scripts/benchmark.py`: the DuckDB pipeline as users run it.

One sandbox export (a 10-day snapshot, about 660,000 activities and 1 GB by default), measured
in one run:

- the tap alone in BATCH mode (the shipped encoding, files to a scratch directory, messages to
  /dev/null), and the tap alone in RECORD mode;
- DuckDB's own `read_json` of those BATCH files into a table: the engine's speed;
- `meltano run tap-peopleai target-duckdb` exactly as shipped (BATCH files under output/batches/,
  loaded by target-duckdb-bulk and removed), with the peak memory of the tap and the loader;
- `meltano run tap-peopleai-records target-duckdb` (RECORD messages, spooled by the loader).

Meltano runs from the repository with its installed plugins (`make plugins`), the sandbox
environment, a private state id (`--state-id-suffix`) and `--full-refresh`, so every run is a
first sync that adopts the export job the first, unmeasured run created. Every load is checked:
the table must hold exactly the export's activities.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

from bench_runs import (
    BIN,
    REPO,
    SCHEMA,
    duckdb_count,
    ensure_plugins,
    export_activities,
    native_duckdb,
    run_tap_alone,
    say,
    snapshot_sandbox,
    target_lines,
    tree_rss,
)

BATCH_ENCODING = {"format": "jsonl", "compression": "gzip"}
# Issue #18's targets for the shipped DuckDB pipeline, on this kind of machine (2 cores).
TARGET_ACTIVITIES_PER_S = 8_300
TARGET_SHARE_OF_NATIVE = 0.25
TARGET_PEAK_RSS_MB = 300  # tap and loader together, at about 1 GB of export
PLUGIN_PROCESSES = ("tap-peopleai", "target-duckdb-bulk")
MB = 1e6


@dataclasses.dataclass
class Row:
    label: str
    wall: float
    activities: int
    peak_rss: int | None = None  # bytes: tap and loader together, sampled


@dataclasses.dataclass
class MeltanoResult:
    activities: int
    rows: list[Row]
    checks: list[tuple[str, bool]]
    lines: list[str]


def _plugin_memory(meltano: psutil.Process, peaks: dict[int, int]) -> int:
    """RSS of the tap and the loader Meltano started (with their workers' PSS), now."""
    total = 0
    for child in meltano.children():
        try:
            command = " ".join(child.cmdline())
        except psutil.Error:
            continue
        if any(name in command for name in PLUGIN_PROCESSES):
            total += tree_rss(child.pid, peaks)
    return total


def run_meltano(workdir: Path, label: str, args: list[str], env: dict[str, str]) -> Row:
    """`meltano ARGS` in the repository: wall seconds, and the plugins' peak memory."""
    log_path = workdir / f"{label.replace(' ', '-')}.meltano.log"
    peak = 0
    with log_path.open("wb") as log:
        started = time.perf_counter()
        process = subprocess.Popen(
            [str(BIN / "meltano"), *args], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        meltano = psutil.Process(process.pid)
        peaks: dict[int, int] = {}
        while process.poll() is None:
            with contextlib.suppress(psutil.Error):
                peak = max(peak, _plugin_memory(meltano, peaks))
            time.sleep(0.1)
        wall = time.perf_counter() - started
    if process.returncode:
        tail = log_path.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{label}: meltano exited {process.returncode}\n{tail}")
    return Row(label, wall, 0, peak)


def meltano_env(tap_config: dict[str, Any], database: Path) -> dict[str, str]:
    """The sandbox environment, pointed at this sandbox and this DuckDB file."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TAP_PEOPLEAI_", "TARGET_"))}
    env.update(
        {
            "MELTANO_ENVIRONMENT": "sandbox",
            "MELTANO_CLI_DISABLE_VERSION_CHECK": "true",
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "TARGET_DUCKDB_FILEPATH": str(database),
            "TARGET_DUCKDB_DEFAULT_TARGET_SCHEMA": SCHEMA,
        }
    )
    env.update({f"TAP_PEOPLEAI_{key.upper()}": str(value) for key, value in tap_config.items()})
    return env


def measure(activities_per_day: int, fragment_records: int) -> MeltanoResult:
    """Start a sandbox, create its export job once, then measure every run over it."""
    ensure_plugins()
    workdir = Path(tempfile.mkdtemp(prefix="tap-peopleai-meltano-bench-"))
    try:
        with snapshot_sandbox(workdir, 19, activities_per_day, fragment_records) as (
            running,
            tap_config,
        ):
            activities = export_activities(running, tap_config)
            say(
                f"meltano runs: {activities:,} activities, snapshot from "
                f"{tap_config['start_date']}; first tap run (creates and renders the export job, "
                "not measured)"
            )
            run_tap_alone(workdir, tap_config)
            return _measure_runs(workdir, tap_config, activities)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _measure_runs(workdir: Path, tap_config: dict[str, Any], activities: int) -> MeltanoResult:
    rows: list[Row] = []

    def add(row: Row, loaded: int | None) -> Row:
        if loaded is not None and loaded != activities:
            raise RuntimeError(f"{row.label}: {loaded} rows loaded, expected {activities}")
        row.activities = activities
        say(f"meltano runs: {row.label}: {row.wall:.1f} s")
        rows.append(row)
        return row

    batch_dir = workdir / "batches"
    batch_config = {"encoding": BATCH_ENCODING, "storage": {"root": batch_dir.as_uri()}}
    batch_tap = {**tap_config, "batch_config": batch_config}
    add(Row("tap alone, BATCH mode", run_tap_alone(workdir, batch_tap), 0), None)
    add(Row("tap alone, RECORD mode", run_tap_alone(workdir, tap_config), 0), None)
    wall, count = native_duckdb(workdir / "native.duckdb", batch_dir)
    native = add(Row("DuckDB `read_json` of the same BATCH files into a table", wall, 0), count)
    state_id = ["--full-refresh", "--state-id-suffix", "benchmark"]
    runs = {}
    for tap in ("tap-peopleai", "tap-peopleai-records"):
        database = workdir / f"{tap}.duckdb"
        env = meltano_env(tap_config, database)
        label = f"`meltano run {tap} target-duckdb`"
        row = run_meltano(workdir, label, ["run", *state_id, tap, "target-duckdb"], env)
        runs[tap] = add(row, duckdb_count(database))
    shipped = runs["tap-peopleai"]
    rate = activities / shipped.wall
    share = native.wall / shipped.wall
    checks = [
        (
            f"`meltano run tap-peopleai target-duckdb` (BATCH): {rate:,.0f} activities/s, "
            f"target ≥ {TARGET_ACTIVITIES_PER_S:,}",
            rate >= TARGET_ACTIVITIES_PER_S,
        ),
        (
            f"`meltano run tap-peopleai target-duckdb` ÷ DuckDB's own `read_json`: {share:.0%}, "
            f"target ≥ {TARGET_SHARE_OF_NATIVE:.0%}",
            share >= TARGET_SHARE_OF_NATIVE,
        ),
        (
            f"peak RSS of tap + loader, `meltano run tap-peopleai target-duckdb`: "
            f"{(shipped.peak_rss or 0) / MB:,.0f} MB, target ≤ {TARGET_PEAK_RSS_MB} MB",
            (shipped.peak_rss or 0) / MB <= TARGET_PEAK_RSS_MB,
        ),
    ]
    return MeltanoResult(activities, rows, checks, report(activities, rows, checks))


def report(activities: int, rows: list[Row], checks: list[tuple[str, bool]]) -> list[str]:
    lines = [
        f"### DuckDB through `meltano run`: {activities:,} activities",
        "",
        "| run | activities | wall s | activities/s | peak RSS of tap + loader, MB |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        memory = "-" if row.peak_rss is None else f"{row.peak_rss / MB:,.0f}"
        lines.append(
            f"| {row.label} | {row.activities:,} | {row.wall:.2f} | "
            f"{row.activities / row.wall:,.0f} | {memory} |"
        )
    return [*lines, "", *target_lines(checks)]


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="the `meltano run` table alone")
    parser.add_argument("--activities-per-day", type=int, default=66_000)
    parser.add_argument("--fragment-records", type=int, default=5_000)
    args = parser.parse_args()
    result = measure(args.activities_per_day, args.fragment_records)
    print("\n".join(result.lines))
