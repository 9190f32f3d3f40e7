"""The `meltano run` table of the benchmark: the shipped pipelines as users run them.

One sandbox export (a 10-day snapshot, about 660,000 activities and 1 GB by default), measured
in one run:

- the tap alone in BATCH mode (the shipped encoding, files to a scratch directory, messages to
  /dev/null), and the tap alone in RECORD mode;
- the engines' own loads of those BATCH files: DuckDB's `read_json` into a table, PostgreSQL's
  `COPY` of their lines into a `jsonb` column;
- each shipped job's pipeline exactly as the Meltano project has it: `meltano run tap-peopleai-bulk
  target-duckdb` and `meltano run tap-peopleai-bulk target-postgres` (BATCH files under
  output/batches/, loaded by the repository's loaders and removed), with the peak memory of the
  tap and the loader;
- `meltano run tap-peopleai target-duckdb` (RECORD messages, spooled by the loader).

Meltano runs from the repository with its installed plugins (`make plugins`), in the tests'
environment for it (tests/support/meltano_project.py: the `sandbox` environment, none of a
developer's settings), a private state id (`--state-id-suffix`) and `--full-refresh`, so every
run is a first sync that adopts the export job the first, unmeasured run created. Every load is
checked: the table must hold exactly the export's activities.
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

from benchmarks.exports import batch_config, export_activities, snapshot_sandbox
from benchmarks.loads import (
    SCHEMA,
    duckdb_count,
    ensure_plugins,
    native_duckdb,
    native_postgres,
    run_tap_alone,
)
from benchmarks.report import GB, MB, Check, say, target_lines
from benchmarks.tap_process import tree_rss
from tests.support.meltano_files import REPO_ROOT
from tests.support.meltano_project import MELTANO, isolated_env
from tests.support.postgres import PostgresServer, running_postgres
from tests.support.processes import tap_env

# Issue #18's targets for the shipped pipelines, on this kind of machine (2 cores).
TARGET_ACTIVITIES_PER_S = 8_300
TARGET_SHARE_OF_NATIVE = {"target-duckdb": 0.25, "target-postgres": 0.50}
TARGET_PEAK_RSS_MB = 300  # tap and loader together, at about 1 GB of export
PLUGIN_PROCESSES = ("tap-peopleai", "target-duckdb-bulk", "target-postgres")
SHIPPED_TAP = "tap-peopleai-bulk"  # the tap plugin of the project's jobs


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
    checks: list[Check]
    lines: list[str]


def _plugin_memory(meltano: psutil.Process, peaks: dict[int, int]) -> int:
    """RSS of the tap and the loader Meltano started (with their workers' USS), now."""
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
            [MELTANO, *args], cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
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


def meltano_env(
    tap_config: dict[str, Any], database: Path, postgres: PostgresServer
) -> dict[str, str]:
    """The sandbox environment, pointed at this sandbox, this DuckDB file and this PostgreSQL."""
    return {
        **isolated_env(REPO_ROOT),
        "TARGET_DUCKDB_FILEPATH": str(database),
        "TARGET_DUCKDB_DEFAULT_TARGET_SCHEMA": SCHEMA,
        **postgres.loader_env(SCHEMA),
        **tap_env(tap_config),
    }


def measure(activities_per_day: int, fragment_records: int) -> MeltanoResult:
    """Start a sandbox, create its export job once, then measure every run over it."""
    ensure_plugins()
    workdir = Path(tempfile.mkdtemp(prefix="tap-peopleai-meltano-bench-"))
    os.chmod(workdir, 0o755)  # noqa: S103 - PostgreSQL's COPY reads the BATCH files here
    try:
        with (
            running_postgres() as postgres,
            snapshot_sandbox(workdir, 19, activities_per_day, fragment_records) as (
                running,
                tap_config,
            ),
        ):
            activities = export_activities(running, tap_config)
            say(
                f"meltano runs: {activities:,} activities, snapshot from "
                f"{tap_config['start_date']}; first tap run (creates and renders the export job, "
                "not measured)"
            )
            run_tap_alone(workdir, tap_config)
            files = [p for p in running.backend.data_dir.rglob("*") if p.is_file()]
            export_bytes = sum(p.stat().st_size for p in files)
            say(f"meltano runs: the export is {export_bytes / GB:.2f} GB in {len(files)} files")
            return _measure_runs(workdir, tap_config, activities, export_bytes, postgres)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _measure_runs(
    workdir: Path,
    tap_config: dict[str, Any],
    activities: int,
    export_bytes: int,
    postgres: PostgresServer,
) -> MeltanoResult:
    rows: list[Row] = []

    def add(row: Row, loaded: int | None) -> Row:
        if loaded is not None and loaded != activities:
            raise RuntimeError(f"{row.label}: {loaded} rows loaded, expected {activities}")
        row.activities = activities
        say(f"meltano runs: {row.label}: {row.wall:.1f} s")
        rows.append(row)
        return row

    batch_dir = workdir / "batches"
    batch_tap = {**tap_config, "batch_config": batch_config(batch_dir, prefix=None)}
    add(Row("tap alone, BATCH mode", run_tap_alone(workdir, batch_tap), 0), None)
    add(Row("tap alone, RECORD mode", run_tap_alone(workdir, tap_config), 0), None)
    wall, count = native_duckdb(workdir / "native.duckdb", batch_dir)
    native = {
        "target-duckdb": add(
            Row("DuckDB `read_json` of the same BATCH files into a table", wall, 0), count
        )
    }
    wall, count = native_postgres(postgres, batch_dir)
    native["target-postgres"] = add(
        Row("PostgreSQL `COPY` of the same files' lines into a `jsonb` column", wall, 0), count
    )
    env = meltano_env(tap_config, workdir / "meltano.duckdb", postgres)
    flags = ["--full-refresh", "--state-id-suffix", "benchmark"]
    checks: list[Check] = []
    for tap, loader in (
        (SHIPPED_TAP, "target-duckdb"),
        ("tap-peopleai", "target-duckdb"),
        (SHIPPED_TAP, "target-postgres"),
    ):
        _empty_the_warehouses(workdir / "meltano.duckdb", postgres)
        label = f"`meltano run {tap} {loader}`"
        row = run_meltano(workdir, label, ["run", *flags, tap, loader], env)
        loaded = (
            duckdb_count(workdir / "meltano.duckdb")
            if loader == "target-duckdb"
            else int(postgres.scalar(f"select count(*) from {SCHEMA}.activities"))  # noqa: S608
        )
        add(row, loaded)
        if tap == SHIPPED_TAP:
            share_target = TARGET_SHARE_OF_NATIVE[loader]
            checks += _checks(label, activities, row, native[loader], share_target)
    return MeltanoResult(activities, rows, checks, report(activities, export_bytes, rows, checks))


def _empty_the_warehouses(database: Path, postgres: PostgresServer) -> None:
    """Each measured run loads into empty tables: a first sync."""
    database.unlink(missing_ok=True)
    postgres.psql(f"drop schema if exists {SCHEMA} cascade")


def _checks(label: str, activities: int, run: Row, native: Row, share_target: float) -> list[Check]:
    """Issue #18's three targets for one shipped pipeline."""
    rate = activities / run.wall
    share = native.wall / run.wall
    peak_mb = (run.peak_rss or 0) / MB
    return [
        (
            f"{label}: {rate:,.0f} activities/s, target ≥ {TARGET_ACTIVITIES_PER_S:,}",
            rate >= TARGET_ACTIVITIES_PER_S,
        ),
        (
            f"{label} ÷ the engine's own load ({native.label}): {share:.0%}, "
            f"target ≥ {share_target:.0%}",
            share >= share_target,
        ),
        (
            f"peak RSS of tap + loader, {label}: {peak_mb:,.0f} MB, "
            f"target ≤ {TARGET_PEAK_RSS_MB} MB",
            peak_mb <= TARGET_PEAK_RSS_MB,
        ),
    ]


def report(activities: int, export_bytes: int, rows: list[Row], checks: list[Check]) -> list[str]:
    lines = [
        f"### The shipped pipelines through `meltano run`: {activities:,} activities, "
        f"{export_bytes / GB:.2f} GB of export",
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
