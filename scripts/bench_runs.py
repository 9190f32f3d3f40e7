"""The runs `bench_pipeline.py` times: plugins, `tap | loader` pipes, dbt, native bulk loads.

Each returns wall seconds (and, for a load, what the warehouse holds), so the table's rows are
figures of one run.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import psutil

from peopleai_sandbox import SandboxConfig, run_sandbox
from tests.support import meltano_files
from tests.support.postgres import PostgresServer

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PLUGINS = REPO / ".meltano"
SCHEMA = "peopleai"
# The export every pipeline measurement loads: a snapshot of SNAPSHOT_DAYS days up to NOW.
SNAPSHOT_DAYS = 10
NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.timezone.utc)


def say(text: str) -> None:
    print(f"# {time.strftime('%H:%M:%S')} {text}", file=sys.stderr, flush=True)


# --- plugins and configuration ------------------------------------------------------------------


def plugin_executable(kind: str, name: str, executable: str) -> Path:
    return PLUGINS / kind / name / "venv" / "bin" / executable


NEEDED = (
    ("loaders", "target-jsonl", "target-jsonl"),
    ("loaders", "target-duckdb", "target-duckdb-bulk"),
    ("loaders", "target-postgres", "target-postgres-bulk"),
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


def _shipped_loader(loader: str) -> dict[str, Any]:
    return meltano_files.plugin(meltano_files.load_project(REPO), "loaders", loader)


def shipped_config(loader: str) -> dict[str, Any]:
    """The loader's `config:` in the Meltano project (paths and connection are set by the
    caller)."""
    return dict(_shipped_loader(loader).get("config") or {})


def shipped_executable(loader: str) -> Path:
    """The loader's `executable` in its Meltano venv (target-postgres runs target-postgres-bulk)."""
    return plugin_executable("loaders", loader, str(_shipped_loader(loader)["executable"]))


# --- the export ---------------------------------------------------------------------------------


@contextlib.contextmanager
def snapshot_sandbox(
    workdir: Path, seed: int, activities_per_day: int, fragment_records: int
) -> Iterator[tuple[Any, dict[str, Any]]]:
    """A sandbox serving the snapshot export, and the tap configuration that selects it."""
    start = NOW.date() - dt.timedelta(days=SNAPSHOT_DAYS - 1)
    config = SandboxConfig(
        seed=seed,
        now=NOW,
        activities_per_day=activities_per_day,
        fragment_records=fragment_records,
        job_run_seconds=0.05,
        data_dir=str(workdir / "sandbox"),
    )
    with run_sandbox(config) as running:
        yield (
            running,
            {
                "api_url": running.url,
                "client_id": running.client_id,
                "client_secret": running.client_secret,
                "poll_interval": 0.05,
                "job_timeout": 3600,
                "start_date": start.isoformat(),
                "scheduled_horizon_days": 0,
            },
        )


def export_activities(running: Any, tap_config: dict[str, Any]) -> int:
    """How many activities the export selected by ``tap_config`` holds."""
    start = dt.date.fromisoformat(tap_config["start_date"])
    return len(running.backend.ground_truth(activity_from=start, activity_to=NOW.date()))


# --- pipelines ----------------------------------------------------------------------------------


def run_pipeline(
    workdir: Path, label: str, tap_config: dict[str, Any], loader: str, config: dict[str, Any]
) -> float:
    """`tap-peopleai | <loader>` with these configurations; wall seconds of the whole pipe."""
    slug = label.replace(" ", "-").replace("/", "-").replace(",", "")
    tap_path = workdir / f"{slug}.tap.json"
    tap_path.write_text(json.dumps(tap_config))
    loader_path = workdir / f"{slug}.loader.json"
    loader_path.write_text(json.dumps(config))
    target = shipped_executable(loader)
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


def native_postgres(server: PostgresServer, batch_dir: Path) -> tuple[float, int]:
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
    count = int(server.scalar("select count(*) from public.raw_activities"))
    return wall, count


# --- reports -------------------------------------------------------------------------------------


def target_lines(checks: list[tuple[str, bool]]) -> list[str]:
    """The table of targets checked in a run, each PASS or FAIL."""
    lines = ["| target | result |", "|---|---|"]
    lines += [f"| {name} | {'**PASS**' if ok else '**FAIL**'} |" for name, ok in checks]
    return [*lines, ""]


# --- memory --------------------------------------------------------------------------------------


def tree_rss(pid: int, children_peak: dict[int, int]) -> int:
    """Memory of a process and its descendants now; notes each descendant's largest sample.

    Descendants count by PSS: forked workers share the tap's pages, which their RSS would
    count again.
    """
    try:
        process = psutil.Process(pid)
        total = process.memory_info().rss
        for child in process.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                pss = child.memory_full_info().pss
                total += pss
                children_peak[child.pid] = max(children_peak.get(child.pid, 0), pss)
        return int(total)
    except psutil.Error:
        return 0
