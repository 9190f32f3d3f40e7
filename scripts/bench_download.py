"""Measure the sandbox's download throughput on loopback (run it with python; not collected).

The figures go into sandbox/README.md.
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime, timezone

import requests

from peopleai_sandbox import SandboxConfig, run_sandbox


def main() -> None:
    """Render one export, then time whole and per-fragment downloads with requests."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--activities-per-day", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--fragment-records", type=int, default=20_000)
    args = parser.parse_args()
    config = SandboxConfig(
        now=datetime(2025, 3, 1, tzinfo=timezone.utc),
        activities_per_day=args.activities_per_day,
        fragment_records=args.fragment_records,
    )
    with run_sandbox(config) as sandbox, requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {sandbox.access_token()}"
        body = {
            "start_date": "2025-02-01",
            "end_date": f"2025-02-{args.days:02d}",
            "activity_type": "all",
            "export_type": "delta",
            "output_format": "JSONLines",
        }
        started = time.perf_counter()
        job = session.post(sandbox.jobs_url, json=body).json()
        while job["state"] in ("Queued", "Running"):
            time.sleep(0.2)
            job = session.get(f"{sandbox.jobs_url}/{job['job_id']}").json()
        render_seconds = time.perf_counter() - started
        size = job["results_size"]
        print(
            f"rendered {size / 1e6:.1f} MB in {render_seconds:.1f} s "
            f"({size / 1e6 / render_seconds:.1f} MB/s)"
        )
        for attempt in range(3):
            started = time.perf_counter()
            received = 0
            with session.get(f"{sandbox.jobs_url}/{job['job_id']}/data", stream=True) as answer:
                for chunk in answer.iter_content(chunk_size=1 << 20):
                    received += len(chunk)
            seconds = time.perf_counter() - started
            assert received == size, (received, size)
            print(
                f"download {attempt + 1}: {received / 1e6:.1f} MB in {seconds:.2f} s = "
                f"{received / 1e6 / seconds:.0f} MB/s (requests, iter_content 1 MiB)"
            )


if __name__ == "__main__":
    main()
