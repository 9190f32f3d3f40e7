"""scripts/benchmark.py --quick runs and prints every row of its table. No timing is asserted."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "benchmark.py"

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
)


def test_quick_benchmark_prints_the_whole_table() -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick"],
        capture_output=True,
        text=True,
        timeout=240,
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
