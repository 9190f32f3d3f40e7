"""`python -m benchmarks --quick` (`make bench BENCH_ARGS=--quick`) prints every row of its
tables. No timing is asserted.

The pipeline table needs the Meltano plugins (the benchmark installs them into .meltano/ when
missing, as `make plugins` does) and PostgreSQL's server binaries (`make test` installs them).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.parallel import USES_REPOSITORY

REPO_ROOT = Path(__file__).resolve().parents[1]

ROWS = (
    "| tap, RECORD mode (fast path) |",
    "| tap, SDK default path (all records) |",
    "| raw orjson loop over the fragment files |",
    "| `cat` of the fragment files to /dev/null |",
    "| tap, BATCH mode",
    "| RECORD ÷ SDK default path",
    "| RECORD ÷ raw orjson loop",
    "| BATCH ÷ RECORD",
    "| peak RSS of the tap, RECORD mode",
    "### Pipelining: catch-up of 6 one-day delta windows",
    "| tap, default reserved_queue_slots (2) |",
    "| tap, reserved_queue_slots=8 |",
    "| one job at a time",
    "### Parallel downloads: one job, 8 fragments",
    "### Targets",
    "### Pipelines: ",
    "| tap alone, RECORD mode, to /dev/null |",
    "| tap → target-jsonl (as shipped) |",
    "| tap → target-duckdb (as shipped) |",
    "| tap BATCH → target-duckdb (as shipped) |",
    "| tap → target-postgres, configuration before tuning |",
    "| tap → target-postgres (as shipped) |",
    "| tap BATCH → target-postgres, configuration before tuning |",
    "| tap BATCH → target-postgres (as shipped) |",
    "| models built: `dbt run`, DuckDB |",
    "| models' dbt tests: `dbt test`, DuckDB |",
    "| models built: `dbt run`, PostgreSQL |",
    "| models' dbt tests: `dbt test`, PostgreSQL |",
    "| native: DuckDB `read_json` of the BATCH files into a table |",
    "| native: PostgreSQL `COPY` of the BATCH files into a jsonb column |",
    "| shipped PostgreSQL pipeline ÷ its configuration before tuning",
    "| tap alone ÷ fastest shipped loader",
    "| models' build ÷ the load, DuckDB",
    "| models' build ÷ the load, PostgreSQL",
    "### The shipped pipelines through `meltano run`: ",
    "| tap alone, BATCH mode |",
    "| tap alone, RECORD mode |",
    "| DuckDB `read_json` of the same BATCH files into a table |",
    "| PostgreSQL `COPY` of the same files' lines into a `jsonb` column |",
    "| `meltano run tap-peopleai-bulk target-duckdb` |",
    "| `meltano run tap-peopleai target-duckdb` |",
    "| `meltano run tap-peopleai-bulk target-postgres` |",
    "| `meltano run tap-peopleai-bulk target-duckdb`: ",
    "| `meltano run tap-peopleai-bulk target-duckdb` ÷ the engine's own load",
    "| peak RSS of tap + loader, `meltano run tap-peopleai-bulk target-duckdb`: ",
    "| `meltano run tap-peopleai-bulk target-postgres`: ",
    "| `meltano run tap-peopleai-bulk target-postgres` ÷ the engine's own load",
    "| peak RSS of tap + loader, `meltano run tap-peopleai-bulk target-postgres`: ",
)


@pytest.mark.timeout(1260)
@USES_REPOSITORY  # Meltano runs from the repository, with its .meltano/ (installed if missing)
def test_quick_benchmark_prints_the_whole_table() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    table = result.stdout
    for row in ROWS:
        assert row in table, f"missing {row!r} in:\n{table}"
    for workers in (1, 2, 4, 8):
        assert f"\n| {workers} | " in table
    lines = table.splitlines()
    # The fast path's records equal the SDK default path's, field by field and type by type.
    (same,) = [line for line in lines if line.startswith("| records of the SDK default path")]
    assert "| identical |" in same
    assert same.endswith("| **PASS** |")
    (counts,) = [line for line in lines if line.startswith("| records: RECORD = BATCH")]
    assert counts.endswith("| **PASS** |")
    # every pipeline row loaded all the export's activities (the benchmark checks each load)
    start = next(n for n, line in enumerate(lines) if line.startswith("### Pipelines: "))
    end = next(n for n, line in enumerate(lines) if line.startswith("BATCH messages:"))
    rows = [line.split(" | ") for line in lines[start:end] if line.startswith("| ")][1:]
    assert len(rows) == 14, rows
    assert len({row[1] for row in rows}) == 1, rows
