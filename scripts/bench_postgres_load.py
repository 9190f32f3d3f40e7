"""PostgreSQL's BATCH pipeline as users run it, beside PostgreSQL's own COPY of the same lines.

`meltano run tap-peopleai-bulk target-postgres` from the repository's Meltano project (its
installed plugins, a private system database, so the demo's state is untouched) against a
sandbox, then `COPY` of the very files it loaded into a `jsonb` column (bench_runs.native_postgres).
For the benchmark, with the sandbox's export rendered once (``run_tap_alone``): ``with
running_postgres() as server: wall, rows = meltano_batch_load(server,
tap_env(tap_config), workdir, "peopleai")``, then ``native_postgres(server, workdir /
"batches")``. Alone: ``python scripts/bench_postgres_load.py``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_pipeline import NOW, sandbox_config, sandbox_tap_config
from bench_runs import BIN, REPO, ensure_plugins, native_postgres, run_tap_alone, say
from peopleai_sandbox import run_sandbox
from tests.support.postgres import PostgresServer, running_postgres


def tap_env(tap_config: dict[str, Any]) -> dict[str, str]:
    """The same settings as the TAP_PEOPLEAI_* variables Meltano reads."""
    return {f"TAP_PEOPLEAI_{name.upper()}": str(value) for name, value in tap_config.items()}


def meltano_batch_load(
    server: PostgresServer, tap_settings: dict[str, str], workdir: Path, schema: str
) -> tuple[float, int]:
    """Wall seconds of `meltano run tap-peopleai-bulk target-postgres` into ``schema``, and the
    rows of ``schema.activities`` afterwards. The batch files stay in ``workdir/batches``
    (keep_batch_files), readable by the server, for a native load of the same lines."""
    batches = workdir / "batches"
    batches.mkdir(exist_ok=True)
    os.chmod(batches, 0o755)  # noqa: S103 - the PostgreSQL server reads the files
    batch_config = {
        "encoding": {"format": "jsonl", "compression": "gzip"},
        "storage": {"root": batches.as_uri(), "prefix": "bench-"},
    }
    connection = server.loader_config()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("TAP_", "TARGET_"))},
        **tap_settings,
        # The plugin's own variable: its batch_config in the project outranks the namespace's.
        "TAP_PEOPLEAI_BULK_BATCH_CONFIG": json.dumps(batch_config),
        "TARGET_POSTGRES_HOST": connection["host"],
        "TARGET_POSTGRES_PORT": str(connection["port"]),
        "TARGET_POSTGRES_USER": connection["user"],
        "TARGET_POSTGRES_PASSWORD": connection["password"],
        "TARGET_POSTGRES_DATABASE": connection["database"],
        "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA": schema,
        "TARGET_POSTGRES_KEEP_BATCH_FILES": "true",
        "MELTANO_DATABASE_URI": f"sqlite:///{workdir / 'meltano.db'}",
        "MELTANO_CLI_DISABLE_VERSION_CHECK": "true",
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    command = [str(BIN / "meltano"), "run", "tap-peopleai-bulk", "target-postgres"]
    log_path = workdir / "meltano-run-postgres-batch.log"
    with log_path.open("wb") as log:
        started = time.perf_counter()
        code = subprocess.run(
            command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, check=False
        ).returncode
        wall = time.perf_counter() - started
    if code:
        tail = log_path.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"`meltano run` exited {code}:\n{tail}")
    count = server.scalar(f"select count(*) from {schema}.activities")  # noqa: S608 - our name
    return wall, int(count.strip())


def measure(activities_per_day: int, days: int, fragment_records: int) -> list[str]:
    """One sandbox export loaded by `meltano run`, then natively; the report's lines."""
    ensure_plugins()
    workdir = Path(tempfile.mkdtemp(prefix="tap-peopleai-pg-load-"))
    os.chmod(workdir, 0o755)  # noqa: S103 - the PostgreSQL server reads the files
    start = NOW.date() - dt.timedelta(days=days - 1)
    config = sandbox_config(workdir, activities_per_day, fragment_records)
    try:
        with run_sandbox(config) as running, running_postgres() as server:
            truth = len(running.backend.ground_truth(activity_from=start, activity_to=NOW.date()))
            tap_config = sandbox_tap_config(running, start)
            say(f"{truth:,} activities; the tap alone renders the export (not measured)")
            run_tap_alone(workdir, tap_config)
            say("meltano run tap-peopleai-bulk target-postgres")
            wall, rows = meltano_batch_load(server, tap_env(tap_config), workdir, "bench")
            if rows != truth:
                raise RuntimeError(f"{rows} rows loaded, expected {truth}")
            say("PostgreSQL COPY of the same files into a jsonb column")
            native_wall, native_rows = native_postgres(server, workdir / "batches")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    ratio = (rows / wall) / (native_rows / native_wall)
    return [
        "| path | activities | wall s | activities/s |",
        "|---|---:|---:|---:|",
        f"| `meltano run tap-peopleai-bulk target-postgres` | {rows:,} | {wall:.2f} "
        f"| {rows / wall:,.0f} |",
        f"| PostgreSQL `COPY` of the same files into a jsonb column | {native_rows:,} "
        f"| {native_wall:.2f} | {native_rows / native_wall:,.0f} |",
        "",
        f"meltano run ÷ COPY: {ratio:.0%}",
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activities-per-day", type=int, default=30_000)
    parser.add_argument("--days", type=int, default=13)
    parser.add_argument("--fragment-records", type=int, default=5_000)
    args = parser.parse_args()
    print("\n".join(measure(args.activities_per_day, args.days, args.fragment_records)))
