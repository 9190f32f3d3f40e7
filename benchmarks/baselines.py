"""What the tap's output is measured against: the fragment files themselves, read raw.

The SDK default path's records compared with the fast path's, the fragment files downloaded
once (tests/support/api_client.py), a raw ``orjson`` loop over them, and ``cat``.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import orjson

from benchmarks.tap_process import iter_record_lines
from tests.support.api_client import ApiClient


def compare_records(fast: Path, default: Path) -> tuple[bool, int, str]:
    """Whether the default path's records equal the fast path's, in order, field by field.

    Records are compared as canonical JSON (sorted keys), so types count too: 1 is not 1.0 and
    "1" is not 1. ``time_extracted`` and ``sync_version`` are left out (the moment of
    extraction, and the start of the run).
    """

    def canonical(line: bytes) -> bytes:
        message = orjson.loads(line)
        record = message["record"]
        record.pop("sync_version", None)
        return orjson.dumps([message["stream"], record], option=orjson.OPT_SORT_KEYS)

    compared = 0
    fast_lines = iter_record_lines(fast)
    for default_line in iter_record_lines(default):
        fast_line = next(fast_lines, None)
        if fast_line is None:
            return False, compared, "the default path emitted more records than the fast path"
        if canonical(fast_line) != canonical(default_line):
            return False, compared, f"record {compared + 1} differs"
        compared += 1
    return True, compared, ""


def download_fragments(api: ApiClient, directory: Path) -> list[Path]:
    """Every fragment of the (only) Completed job, once, to files."""
    jobs = [job for job in api.list_jobs() if str(job.get("state")).lower() == "completed"]
    if len(jobs) != 1:
        msg = f"expected one Completed job in the sandbox, found {len(jobs)}"
        raise RuntimeError(msg)
    job = jobs[0]
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(int(job.get("fragment") or 0)):
        path = directory / f"fragment-{index:05d}.jsonl"
        with path.open("wb") as sink:
            api.save(job["job_id"], index, sink)
        paths.append(path)
    return paths


def raw_orjson_loop(paths: list[Path], out_path: Path) -> tuple[float, int, int]:
    """The practical limit: parse each line with orjson, wrap it in a RECORD message, write it."""
    dumps, loads = orjson.dumps, orjson.loads
    records = 0
    started = time.perf_counter()
    with out_path.open("wb") as out:
        for path in paths:
            with path.open("rb") as source:
                for line in source:
                    out.write(
                        dumps({"type": "RECORD", "stream": "activities", "record": loads(line)})
                        + b"\n"
                    )
                    records += 1
    elapsed = time.perf_counter() - started
    size = out_path.stat().st_size
    out_path.unlink()
    return elapsed, records, size


def cat_files(paths: list[Path]) -> float:
    started = time.perf_counter()
    with open(os.devnull, "wb") as null:
        subprocess.run(["cat", *map(str, paths)], stdout=null, check=True)
    return time.perf_counter() - started
