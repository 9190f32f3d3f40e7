"""The sandbox's download throughput on loopback, for sandbox/README.md.

.venv/bin/python -m benchmarks.sandbox_download [--activities-per-day N --days N]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import time
from datetime import datetime, timezone

from peopleai_sandbox import SandboxConfig, run_sandbox
from tests.support.api_client import ApiClient


def main() -> None:
    """Render one export, then time whole downloads with requests (1 MiB chunks)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sandbox_download")
    parser.add_argument("--activities-per-day", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--fragment-records", type=int, default=20_000)
    args = parser.parse_args()
    config = SandboxConfig(
        now=datetime(2025, 3, 1, tzinfo=timezone.utc),
        activities_per_day=args.activities_per_day,
        fragment_records=args.fragment_records,
    )
    with run_sandbox(config) as sandbox, contextlib.closing(ApiClient(sandbox)) as api:
        api.login()
        started = time.perf_counter()
        created = api.create(
            start="2025-02-01", end=f"2025-02-{args.days:02d}", export_type="delta"
        )
        job = api.wait(created["job_id"], timeout=3600, poll=0.2)
        render_seconds = time.perf_counter() - started
        size = job["results_size"]
        print(
            f"rendered {size / 1e6:.1f} MB in {render_seconds:.1f} s "
            f"({size / 1e6 / render_seconds:.1f} MB/s)"
        )
        for attempt in range(3):
            started = time.perf_counter()
            with open(os.devnull, "wb") as null:
                received = api.save(job["job_id"], None, null)
            seconds = time.perf_counter() - started
            assert received == size, (received, size)
            print(
                f"download {attempt + 1}: {received / 1e6:.1f} MB in {seconds:.2f} s = "
                f"{received / 1e6 / seconds:.0f} MB/s (requests, iter_content 1 MiB)"
            )


if __name__ == "__main__":
    main()
