"""The pipeline table of the benchmark: the tap into each shipped loader, and the models.

One sandbox export (a snapshot of SNAPSHOT_DAYS days), loaded in one run:

- the tap alone, RECORD mode, to /dev/null;
- tap -> target-jsonl, tap -> target-duckdb, tap -> target-postgres (RECORD mode), each with the
  loader configuration the Meltano project ships, and target-postgres also with the configuration
  shipped before it was tuned;
- the tap in BATCH mode -> target-duckdb (this repository's target-duckdb-bulk) and
  -> target-postgres, before and after tuning (target-jsonl 0.1.4 rejects BATCH messages);
- the dbt models built (`dbt build`: models and their tests) on the DuckDB and PostgreSQL loads;
- a native bulk load of the same BATCH files, without Singer: DuckDB `read_json` into a table,
  PostgreSQL `COPY` into a jsonb column — the practical limit of a load.

The runs themselves are in loads.py; the PostgreSQL server is the tests' own
(tests/support/postgres.py). The tap and the loaders run as a plain pipe (`tap | target`), the
loaders and dbt from the Meltano plugin venvs under `.meltano/` (installed with `meltano install`
when missing), so Meltano's own start-up (a few seconds a run) is not in the figures. Every load
is checked: the warehouse must hold exactly the export's activities.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.exports import batch_config, export_activities, snapshot_sandbox
from benchmarks.loads import (
    SCHEMA,
    dbt_build,
    duckdb_count,
    ensure_plugins,
    jsonl_count,
    native_duckdb,
    native_postgres,
    run_pipeline,
    run_tap_alone,
    shipped_config,
)
from benchmarks.report import Check, say, target_lines
from peopleai_sandbox import RunningSandbox
from tests.support.meltano_files import REPO_ROOT
from tests.support.postgres import PostgresServer, running_postgres

# What the Meltano project shipped before the loaders were tuned (issue #13): the loaders' defaults.
PREVIOUS_POSTGRES = {"dialect+driver": "postgresql+psycopg", "load_method": "upsert"}

# Targets of issue #13, as ratios of figures of one run.
TARGET_POSTGRES_SPEEDUP = 2.5
TARGET_BUILD_OVER_LOAD = 2.0


@dataclasses.dataclass
class Row:
    label: str
    wall: float
    records: int | None  # activities in the warehouse afterwards (None: not a load)
    note: str = ""


# --- the run ------------------------------------------------------------------------------------


@dataclasses.dataclass
class PipelineResult:
    activities: int
    export_mb: float
    rows: list[Row]
    checks: list[Check]
    lines: list[str]


def measure(activities_per_day: int, fragment_records: int) -> PipelineResult:
    """Start a sandbox, create its export job once, then measure every pipeline over it."""
    ensure_plugins()
    # Not under the benchmark's private temporary directory: the PostgreSQL server (another
    # user) must read the BATCH files and its own data directory here.
    workdir = Path(tempfile.mkdtemp(prefix="tap-peopleai-pipelines-"))
    os.chmod(workdir, 0o755)  # noqa: S103 - a benchmark scratch directory
    try:
        with snapshot_sandbox(workdir, 13, activities_per_day, fragment_records) as (
            running,
            tap_config,
        ):
            say(
                f"pipelines: {activities_per_day} activities/day, snapshot from "
                f"{tap_config['start_date']}; first tap run (creates and renders the export job, "
                "not measured)"
            )
            run_tap_alone(workdir, tap_config)
            return measure_pipelines(running, tap_config, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


class Measurements:
    """The rows of the table, each load checked against the number of activities exported."""

    def __init__(self, workdir: Path, tap_config: dict[str, Any], activities: int) -> None:
        self.workdir = workdir
        self.tap_config = tap_config
        self.activities = activities
        self.rows: list[Row] = []

    def add(self, label: str, wall: float, records: int | None) -> Row:
        if records is not None and records != self.activities:
            raise RuntimeError(f"{label}: {records} rows loaded, expected {self.activities}")
        say(f"pipeline: {label}: {wall:.1f} s")
        row = Row(label, wall, records)
        self.rows.append(row)
        return row

    def duckdb(self, label: str, base: dict[str, Any], name: str) -> tuple[Row, Path]:
        path = self.workdir / f"{name}.duckdb"
        config = {**base, "filepath": str(path), "default_target_schema": SCHEMA}
        tap = self.tap_config
        if "BATCH" in label:
            # Files of its own: the loader removes each once loaded.
            tap = {**tap, "batch_config": batch_config(self.workdir / f"{name}-batches")}
        wall = run_pipeline(self.workdir, label, tap, "target-duckdb", config)
        return self.add(label, wall, duckdb_count(path)), path

    def postgres(
        self, server: PostgresServer, label: str, base: dict[str, Any], schema: str, batch_dir: Path
    ) -> Row:
        tap = self.tap_config
        if "BATCH" in label:
            tap = {**tap, "batch_config": batch_config(batch_dir)}
        config = {**base, **server.loader_config(), "default_target_schema": schema}
        if "BATCH" in label:
            # The native loads after these runs read the same files: the loader keeps them.
            config["keep_batch_files"] = True
        wall = run_pipeline(self.workdir, label, tap, "target-postgres", config)
        count = server.scalar(f"select count(*) from {schema}.activities")  # noqa: S608 - our name
        return self.add(label, wall, int(count.strip()))


def measure_pipelines(
    running: RunningSandbox, tap_config: dict[str, Any], workdir: Path
) -> PipelineResult:
    """Every pipeline of the table over the export `tap_config` selects (its job exists)."""
    activities = export_activities(running, tap_config)
    table = Measurements(workdir, tap_config, activities)
    tap_alone = table.add(
        "tap alone, RECORD mode, to /dev/null", run_tap_alone(workdir, tap_config), None
    )
    jsonl_dir = workdir / "jsonl"
    jsonl_dir.mkdir()
    jsonl_config = {**shipped_config("target-jsonl"), "destination_path": str(jsonl_dir)}
    wall = run_pipeline(workdir, "jsonl", tap_config, "target-jsonl", jsonl_config)
    table.add("tap → target-jsonl (as shipped)", wall, jsonl_count(jsonl_dir))
    table.duckdb("tap → target-duckdb (as shipped)", shipped_config("target-duckdb"), "records")
    duckdb_load, duckdb_path = table.duckdb(
        "tap BATCH → target-duckdb (as shipped)", shipped_config("target-duckdb"), "shipped"
    )

    batch_dir = workdir / "batches"
    batch_dir.mkdir()
    for readable in (workdir, batch_dir):  # COPY FROM PROGRAM runs as the server's user
        os.chmod(readable, 0o755)  # noqa: S103 - the PostgreSQL server reads the files
    project = workdir / "transform"
    shutil.copytree(
        REPO_ROOT / "transform", project, ignore=shutil.ignore_patterns("target", "logs")
    )
    shipped_postgres = shipped_config("target-postgres")
    with running_postgres() as server:
        before = table.postgres(
            server, "tap → target-postgres, configuration before tuning", PREVIOUS_POSTGRES,
            "before_tuning", batch_dir,
        )  # fmt: skip
        shipped = table.postgres(
            server, "tap → target-postgres (as shipped)", shipped_postgres, SCHEMA, batch_dir
        )
        table.postgres(
            server, "tap BATCH → target-postgres, configuration before tuning",
            PREVIOUS_POSTGRES, "batch_before_tuning", batch_dir,
        )  # fmt: skip
        for path in batch_dir.glob("*.jsonl.gz"):
            path.unlink()
        table.postgres(
            server, "tap BATCH → target-postgres (as shipped)", shipped_postgres,
            "batch_shipped", batch_dir,
        )  # fmt: skip
        for path in batch_dir.glob("*.jsonl.gz"):
            os.chmod(path, 0o644)
        duckdb_env = {"DBT_TARGET": "duckdb", "DBT_DUCKDB_PATH": str(duckdb_path)}
        builds = []
        for utility, connection, warehouse in (
            ("dbt-duckdb", duckdb_env, "DuckDB"),
            ("dbt-postgres", server.dbt_env(), "PostgreSQL"),
        ):
            env = {**connection, "PEOPLEAI_SOURCE_SCHEMA": SCHEMA}
            run_wall, test_wall = dbt_build(workdir, project, utility, env)
            builds.append(table.add(f"models built: `dbt run`, {warehouse}", run_wall, None))
            table.add(f"models' dbt tests: `dbt test`, {warehouse}", test_wall, None)
        wall, count = native_duckdb(workdir / "native.duckdb", batch_dir)
        table.add("native: DuckDB `read_json` of the BATCH files into a table", wall, count)
        wall, count = native_postgres(server, batch_dir)
        table.add("native: PostgreSQL `COPY` of the BATCH files into a jsonb column", wall, count)
    export_mb = sum(p.stat().st_size for p in batch_dir.glob("*.jsonl.gz")) / 1e6

    loads = [r for r in table.rows if "→" in r.label and "before tuning" not in r.label]
    fastest = min(loads, key=lambda row: row.wall)
    speedup = before.wall / shipped.wall
    tap_ratio = fastest.wall / tap_alone.wall
    duckdb_ratio = builds[0].wall / duckdb_load.wall
    postgres_ratio = builds[1].wall / shipped.wall
    checks = [
        (
            f"shipped PostgreSQL pipeline ÷ its configuration before tuning (throughput): "
            f"{speedup:.1f}x, target ≥ {TARGET_POSTGRES_SPEEDUP}x",
            speedup >= TARGET_POSTGRES_SPEEDUP,
        ),
        (
            f"models' build ÷ the load, PostgreSQL: {postgres_ratio:.2f}, target < "
            f"{TARGET_BUILD_OVER_LOAD}",
            postgres_ratio < TARGET_BUILD_OVER_LOAD,
        ),
    ]
    # Figures, not targets: issue #13 asked for the tap to be 5x the fastest loader and for the
    # DuckDB models to build in under twice the load while the loaders were the bottleneck; the
    # BATCH loaders (#18) now keep pace with the tap, and dbt's start-up outweighs a short load.
    figures = [
        f"| tap alone ÷ fastest shipped loader ({fastest.label}) | {tap_ratio:.1f}x |",
        f"| models' build ÷ the load, DuckDB (BATCH) | {duckdb_ratio:.2f} |",
    ]
    lines = report(activities, export_mb, table.rows, checks, figures)
    return PipelineResult(activities, export_mb, table.rows, checks, lines)


def report(
    activities: int, export_mb: float, rows: list[Row], checks: list[Check], figures: list[str]
) -> list[str]:
    lines = [
        f"### Pipelines: {activities:,} activities ({export_mb:,.0f} MB as BATCH files), "
        "tap → loader → models",
        "",
        "| pipeline | activities | wall s | activities/s |",
        "|---|---:|---:|---:|",
    ]
    for row in rows:
        shown = activities if row.records is None else row.records
        lines.append(f"| {row.label} | {shown:,} | {row.wall:.2f} | {shown / row.wall:,.0f} |")
    lines += [
        "",
        "BATCH messages: target-duckdb (target-duckdb-bulk) and target-postgres accept them; "
        "target-jsonl 0.1.4 does not (it stops on the first one).",
        "",
        "| ratio of this run | value |",
        "|---|---:|",
        *figures,
        "",
        *target_lines(checks),
    ]
    return lines
