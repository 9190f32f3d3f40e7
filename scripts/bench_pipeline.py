"""The pipeline table of `scripts/benchmark.py`: the tap into each shipped loader, and the models.

One sandbox export (a snapshot of SNAPSHOT_DAYS days), loaded in one run:

- the tap alone, RECORD mode, to /dev/null;
- tap -> target-jsonl, tap -> target-duckdb, tap -> target-postgres (RECORD mode), each with the
  loader configuration meltano.yml ships, and target-duckdb / target-postgres also with the
  configuration shipped before it was tuned;
- the tap in BATCH mode -> target-postgres (the only shipped loader that accepts BATCH messages:
  target-duckdb 0.8.0 and target-jsonl 0.1.4 reject them), before and after tuning;
- the dbt models built (`dbt build`: models and their tests) on the DuckDB and PostgreSQL loads;
- a native bulk load of the same BATCH files, without Singer: DuckDB `read_json` into a table,
  PostgreSQL `COPY` into a jsonb column — the practical limit of a load.

The tap and the loaders run as a plain pipe (`tap | target`), the loaders and dbt from the
Meltano plugin venvs under `.meltano/` (installed with `meltano install` when missing), so
Meltano's own start-up (a few seconds a run) is not in the figures. Every load is checked: the
warehouse must hold exactly the export's activities.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import yaml

from peopleai_sandbox import SandboxConfig, run_sandbox

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PLUGINS = REPO / ".meltano"
SCHEMA = "peopleai"

# What meltano.yml shipped before the loaders were tuned (issue #13): the loaders' defaults.
PREVIOUS_POSTGRES = {"dialect+driver": "postgresql+psycopg", "load_method": "upsert"}
PREVIOUS_DUCKDB = {"primary_key_required": True}

# Targets of issue #13, as ratios of figures of one run.
TARGET_POSTGRES_SPEEDUP = 2.5
TARGET_TAP_OVER_LOADER = 5.0
TARGET_BUILD_OVER_LOAD = 2.0


def say(text: str) -> None:
    print(f"# {time.strftime('%H:%M:%S')} {text}", file=sys.stderr, flush=True)


# --- plugins and configuration ------------------------------------------------------------------


def plugin_executable(kind: str, name: str, executable: str) -> Path:
    return PLUGINS / kind / name / "venv" / "bin" / executable


NEEDED = (
    ("loaders", "target-jsonl", "target-jsonl"),
    ("loaders", "target-duckdb", "target-duckdb"),
    ("loaders", "target-postgres", "target-postgres"),
    ("utilities", "dbt-duckdb", "dbt"),
    ("utilities", "dbt-postgres", "dbt"),
)


def ensure_plugins() -> None:
    """Install the Meltano plugins (as `make plugins` does) when a loader or dbt is missing."""
    if all(plugin_executable(*needed).exists() for needed in NEEDED):
        return
    say("installing the Meltano plugins (meltano install)")
    env = {**os.environ, "MELTANO_CLI_DISABLE_VERSION_CHECK": "true"}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    subprocess.run(
        [str(BIN / "meltano"), "install"], cwd=REPO, env=env, check=True, capture_output=True
    )
    (REPO / "output").mkdir(exist_ok=True)


def shipped_config(loader: str) -> dict[str, Any]:
    """The loader's `config:` in meltano.yml (paths and connection are set by the caller)."""
    project = yaml.safe_load((REPO / "meltano.yml").read_text())
    for plugin in project["plugins"]["loaders"]:
        if plugin["name"] == loader:
            return dict(plugin.get("config") or {})
    raise KeyError(loader)


# --- PostgreSQL ---------------------------------------------------------------------------------


def pg_bindir() -> Path:
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not candidates:
        raise SystemExit("PostgreSQL (initdb, pg_ctl) is not installed: run `make postgres`")
    return candidates[-1].parent


@dataclasses.dataclass
class Postgres:
    host: str
    port: int
    bindir: Path

    def psql(self, sql: str) -> str:
        psql = shutil.which("psql") or str(self.bindir / "psql")
        command = [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", "-h", self.host]
        command += ["-p", str(self.port), "-U", "postgres", "-d", "postgres", "-c", sql]
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout

    def loader_config(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "port": self.port,
            "user": "postgres",
            "password": "unused-trust-auth",
            "database": "postgres",
        }

    def dbt_env(self) -> dict[str, str]:
        return {
            "DBT_TARGET": "postgres",
            "DBT_POSTGRES_HOST": self.host,
            "DBT_POSTGRES_PORT": str(self.port),
            "DBT_POSTGRES_USER": "postgres",
            "DBT_POSTGRES_PASSWORD": "unused-trust-auth",
            "DBT_POSTGRES_DBNAME": "postgres",
        }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def postgres_server(root: Path) -> Iterator[Postgres]:
    """A throw-away PostgreSQL cluster on a free loopback port (fsync off), stopped at the end."""
    bindir = pg_bindir()
    base = root / "pg"
    base.mkdir()
    (base / "sock").mkdir()
    prefix: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root: the cluster belongs to the postgres user
        shutil.chown(root, user="postgres")
        shutil.chown(base, user="postgres")
        shutil.chown(base / "sock", user="postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
    data = base / "data"
    subprocess.run(
        [
            *prefix,
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ],
        check=True,
        capture_output=True,
    )
    port = free_port()
    options = (
        f"-p {port} -c listen_addresses=127.0.0.1 -k {base / 'sock'} "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    )
    subprocess.run(
        [
            *prefix,
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(base / "log"),
            "-w",
            "-o",
            options,
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        yield Postgres("127.0.0.1", port, bindir)
    finally:
        subprocess.run(
            [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
            capture_output=True,
            check=False,
        )


# --- pipelines ----------------------------------------------------------------------------------


@dataclasses.dataclass
class Row:
    label: str
    wall: float
    records: int | None  # activities in the warehouse afterwards (None: not a load)
    note: str = ""


def run_pipeline(
    workdir: Path, label: str, tap_config: dict[str, Any], loader: str, config: dict[str, Any]
) -> float:
    """`tap-peopleai | <loader>` with these configurations; wall seconds of the whole pipe."""
    slug = label.replace(" ", "-").replace("/", "-").replace(",", "")
    tap_path = workdir / f"{slug}.tap.json"
    tap_path.write_text(json.dumps(tap_config))
    loader_path = workdir / f"{slug}.loader.json"
    loader_path.write_text(json.dumps(config))
    target = plugin_executable("loaders", loader, loader)
    with (
        (workdir / f"{slug}.tap.log").open("wb") as tap_log,
        (workdir / f"{slug}.loader.log").open("wb") as loader_log,
        (workdir / f"{slug}.state.jsonl").open("wb") as state,
    ):
        started = time.perf_counter()
        tap = subprocess.Popen(
            [sys.executable, "-m", "tap_peopleai", "--config", str(tap_path)],
            stdout=subprocess.PIPE,
            stderr=tap_log,
        )
        assert tap.stdout is not None
        load = subprocess.Popen(
            [str(target), "--config", str(loader_path)],
            stdin=tap.stdout,
            stdout=state,
            stderr=loader_log,
        )
        tap.stdout.close()
        load_code = load.wait()
        tap_code = tap.wait()
        wall = time.perf_counter() - started
    if tap_code or load_code:
        tail = (workdir / f"{slug}.loader.log").read_text(errors="replace")[-2000:]
        raise RuntimeError(f"{label}: tap exited {tap_code}, {loader} exited {load_code}\n{tail}")
    return wall


def run_tap_alone(workdir: Path, tap_config: dict[str, Any]) -> float:
    path = workdir / "tap-alone.json"
    path.write_text(json.dumps(tap_config))
    with open(os.devnull, "wb") as null, (workdir / "tap-alone.log").open("wb") as log:
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "tap_peopleai", "--config", str(path)],
            stdout=null,
            stderr=log,
            check=True,
        )
        return time.perf_counter() - started


def duckdb_count(path: Path, table: str = "activities") -> int:
    con = duckdb.connect(str(path), read_only=True)
    try:
        row = con.execute(f'select count(*) from {SCHEMA}."{table}"').fetchone()  # noqa: S608
    finally:
        con.close()
    return int(row[0]) if row else 0


def jsonl_count(directory: Path) -> int:
    return sum(1 for path in directory.glob("*.jsonl") for _ in path.open("rb"))


def dbt_build(
    workdir: Path, project: Path, utility: str, env: dict[str, str]
) -> tuple[float, float]:
    """`dbt run`, then `dbt test`, of the models in `project` (a copy of transform/): seconds."""
    dbt = plugin_executable("utilities", utility, "dbt")
    full_env = {**os.environ, "DBT_PROFILES_DIR": str(project), **env}
    walls = []
    for command in ("run", "test"):
        log_path = workdir / f"{utility}-{command}.log"
        with log_path.open("wb") as log:
            started = time.perf_counter()
            code = subprocess.run(
                [str(dbt), command, "--project-dir", str(project)],
                cwd=project,
                env=full_env,
                stdout=log,
                stderr=subprocess.STDOUT,
                check=False,
            ).returncode
            walls.append(time.perf_counter() - started)
        if code:
            tail = log_path.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"dbt {command} ({utility}) exited {code}:\n{tail}")
    return walls[0], walls[1]


def native_duckdb(path: Path, batch_dir: Path) -> tuple[float, int]:
    con = duckdb.connect(str(path))
    try:
        started = time.perf_counter()
        con.execute(
            "create table raw_activities as select * from read_json(?, format = "
            "'newline_delimited', maximum_object_size = 16777216)",
            [str(batch_dir / "*.jsonl.gz")],
        )
        wall = time.perf_counter() - started
        row = con.execute("select count(*) from raw_activities").fetchone()
    finally:
        con.close()
    return wall, int(row[0]) if row else 0


def native_postgres(server: Postgres, batch_dir: Path) -> tuple[float, int]:
    # Each line as one jsonb value: CSV mode with quote and delimiter characters that JSON text
    # never contains, so backslashes and quotes reach jsonb untouched.
    server.psql("create table public.raw_activities (record jsonb)")
    files = " ".join(str(path) for path in sorted(batch_dir.glob("*.jsonl.gz")))
    started = time.perf_counter()
    server.psql(
        f"copy public.raw_activities from program 'zcat {files}' "
        "with (format csv, quote e'\\x01', delimiter e'\\x02')"
    )
    wall = time.perf_counter() - started
    count = int(server.psql("select count(*) from public.raw_activities").strip())
    return wall, count


# --- the run ------------------------------------------------------------------------------------


@dataclasses.dataclass
class PipelineResult:
    activities: int
    export_mb: float
    rows: list[Row]
    checks: list[tuple[str, bool]]
    lines: list[str]


SNAPSHOT_DAYS = 10
NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.timezone.utc)


def measure(activities_per_day: int, fragment_records: int) -> PipelineResult:
    """Start a sandbox, create its export job once, then measure every pipeline over it."""
    ensure_plugins()
    # Not under the benchmark's private temporary directory: the PostgreSQL server (another
    # user) must read the BATCH files and its own data directory here.
    workdir = Path(tempfile.mkdtemp(prefix="tap-peopleai-pipelines-"))
    os.chmod(workdir, 0o755)  # noqa: S103 - a benchmark scratch directory
    start = NOW.date() - dt.timedelta(days=SNAPSHOT_DAYS - 1)
    config = SandboxConfig(
        seed=13,
        now=NOW,
        activities_per_day=activities_per_day,
        fragment_records=fragment_records,
        job_run_seconds=0.05,
        data_dir=str(workdir / "sandbox"),
    )
    try:
        with run_sandbox(config) as running:
            tap_config = {
                "api_url": running.url,
                "client_id": running.client_id,
                "client_secret": running.client_secret,
                "poll_interval": 0.05,
                "job_timeout": 3600,
                "start_date": start.isoformat(),
                "scheduled_horizon_days": 0,
            }
            say(
                f"pipelines: {activities_per_day} activities/day, snapshot {start}..{NOW.date()};"
                " first tap run (creates and renders the export job, not measured)"
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
        wall = run_pipeline(self.workdir, label, self.tap_config, "target-duckdb", config)
        return self.add(label, wall, duckdb_count(path)), path

    def postgres(
        self, server: Postgres, label: str, base: dict[str, Any], schema: str, batch_dir: Path
    ) -> Row:
        tap = self.tap_config
        if "BATCH" in label:
            storage = {"root": batch_dir.as_uri(), "prefix": "bench-"}
            tap = {**tap, "batch_config": {"encoding": BATCH_ENCODING, "storage": storage}}
        config = {**base, **server.loader_config(), "default_target_schema": schema}
        wall = run_pipeline(self.workdir, label, tap, "target-postgres", config)
        count = server.psql(f"select count(*) from {schema}.activities")  # noqa: S608 - our name
        return self.add(label, wall, int(count.strip()))


BATCH_ENCODING = {"format": "jsonl", "compression": "gzip"}


def measure_pipelines(running: Any, tap_config: dict[str, Any], workdir: Path) -> PipelineResult:
    """Every pipeline of the table over the export `tap_config` selects (its job exists)."""
    start = dt.date.fromisoformat(tap_config["start_date"])
    activities = len(running.backend.ground_truth(activity_from=start, activity_to=NOW.date()))
    table = Measurements(workdir, tap_config, activities)
    tap_alone = table.add(
        "tap alone, RECORD mode, to /dev/null", run_tap_alone(workdir, tap_config), None
    )
    jsonl_dir = workdir / "jsonl"
    jsonl_dir.mkdir()
    jsonl_config = {**shipped_config("target-jsonl"), "destination_path": str(jsonl_dir)}
    wall = run_pipeline(workdir, "jsonl", tap_config, "target-jsonl", jsonl_config)
    table.add("tap → target-jsonl (as shipped)", wall, jsonl_count(jsonl_dir))
    table.duckdb("tap → target-duckdb, configuration before tuning", PREVIOUS_DUCKDB, "before")
    duckdb_load, duckdb_path = table.duckdb(
        "tap → target-duckdb (as shipped)", shipped_config("target-duckdb"), "shipped"
    )

    batch_dir = workdir / "batches"
    batch_dir.mkdir()
    os.chmod(batch_dir, 0o755)  # noqa: S103 - the PostgreSQL server reads the files
    project = workdir / "transform"
    shutil.copytree(REPO / "transform", project, ignore=shutil.ignore_patterns("target", "logs"))
    shipped_postgres = shipped_config("target-postgres")
    with postgres_server(workdir) as server:
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
            f"tap alone ÷ fastest shipped loader ({fastest.label}): {tap_ratio:.1f}x, "
            f"target ≥ {TARGET_TAP_OVER_LOADER}x",
            tap_ratio >= TARGET_TAP_OVER_LOADER,
        ),
        (
            f"models' build ÷ the load, DuckDB: {duckdb_ratio:.2f}, target < "
            f"{TARGET_BUILD_OVER_LOAD}",
            duckdb_ratio < TARGET_BUILD_OVER_LOAD,
        ),
        (
            f"models' build ÷ the load, PostgreSQL: {postgres_ratio:.2f}, target < "
            f"{TARGET_BUILD_OVER_LOAD}",
            postgres_ratio < TARGET_BUILD_OVER_LOAD,
        ),
    ]
    lines = report(activities, export_mb, table.rows, checks)
    return PipelineResult(activities, export_mb, table.rows, checks, lines)


def report(
    activities: int, export_mb: float, rows: list[Row], checks: list[tuple[str, bool]]
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
        "BATCH messages: target-postgres accepts them; target-duckdb 0.8.0 and target-jsonl 0.1.4 "
        "do not (they stop on the first one).",
        "",
        "| target | result |",
        "|---|---|",
    ]
    lines += [f"| {name} | {'**PASS**' if ok else '**FAIL**'} |" for name, ok in checks]
    lines.append("")
    return lines


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="the pipeline table alone")
    parser.add_argument("--activities-per-day", type=int, default=11_000)
    parser.add_argument("--fragment-records", type=int, default=5_000)
    args = parser.parse_args()
    result = measure(args.activities_per_day, args.fragment_records)
    print("\n".join(result.lines))
