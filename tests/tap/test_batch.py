"""BATCH mode: normalised fragments as jsonl.gz files, one BATCH message each, state after each."""

from __future__ import annotations

import gzip
import itertools
import json
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

from tap_harness import START, Warehouse, run_tap, run_tap_cli, tap_config

from peopleai_sandbox import Faults, Variants


def batch_config(root: Path) -> dict[str, object]:
    return {
        "encoding": {"format": "jsonl", "compression": "gzip"},
        "storage": {"root": f"file://{root}", "prefix": "peopleai-"},
    }


def read_batches(messages) -> list[dict]:  # type: ignore[no-untyped-def]
    records = []
    for message in messages:
        if message["type"] == "BATCH":
            for url in message["manifest"]:
                with gzip.open(urlsplit(url).path, "rt") as batch:
                    records += [json.loads(line) for line in batch]
    return records


def test_batch_mode_writes_every_activity_once_as_normalised_files(make_sandbox, tmp_path) -> None:
    sandbox = make_sandbox(variants=Variants(timestamp_style="mixed", line_noise=True))
    config = tap_config(sandbox, batch_config=batch_config(tmp_path))
    result = run_tap(config)
    assert result.records == []
    batches = [m for m in result.messages if m["type"] == "BATCH"]
    assert batches
    assert batches[0]["encoding"] == {"format": "jsonl", "compression": "gzip"}
    records = read_batches(result.messages)
    warehouse = Warehouse()
    warehouse.load_messages([{"type": "RECORD", "record": r} for r in records])
    warehouse.assert_equals(sandbox.backend.ground_truth(activity_from=START))
    assert warehouse.received == len(warehouse.rows)
    assert all(r["timestamp"].endswith("Z") for r in records)
    # A STATE message follows every BATCH message, and the cursor lands where RECORD mode's does.
    kinds = [m["type"] for m in result.messages if m["type"] in ("BATCH", "STATE")]
    assert all(kinds[i + 1] == "STATE" for i, kind in enumerate(kinds) if kind == "BATCH")
    assert result.bookmark["cursor"] == "2026-06-15"
    # One snapshot window, one job: nothing is exported twice.
    assert sandbox.backend.stats()["jobs_created"] == 1
    assert sandbox.backend.stats()["downloads"] == len(batches)


def test_batch_mode_recovers_corrupt_downloads(make_sandbox, tmp_path) -> None:
    sandbox = make_sandbox(faults=Faults(corrupt_download_rate=0.5), seed=5)
    result = run_tap(tap_config(sandbox, batch_config=batch_config(tmp_path)))
    warehouse = Warehouse()
    warehouse.load_messages(
        [{"type": "RECORD", "record": r} for r in read_batches(result.messages)]
    )
    warehouse.assert_equals(sandbox.backend.ground_truth(activity_from=START))
    assert sandbox.backend.stats()["fault_corrupt_download"] > 0


def test_large_fragments_are_written_in_parts_listed_in_one_batch_message(
    make_sandbox, tmp_path
) -> None:
    # Fragments of ~10 MB: cut in two (one part per worker); some downloads arrive corrupt,
    # so a fragment is downloaded again and its parts written afresh.
    sandbox = make_sandbox(
        activities_per_day=100,
        fragment_records=7000,
        faults=Faults(corrupt_download_rate=0.5),
        seed=3,
    )
    result = run_tap(tap_config(sandbox, batch_config=batch_config(tmp_path)))
    manifests = [m["manifest"] for m in result.messages if m["type"] == "BATCH"]
    assert max(map(len, manifests)) == 2
    assert all(url.endswith(f"-{n}.jsonl.gz") for m in manifests for n, url in enumerate(m))
    warehouse = Warehouse()
    warehouse.load_messages(
        [{"type": "RECORD", "record": r} for r in read_batches(result.messages)]
    )
    warehouse.assert_equals(sandbox.backend.ground_truth(activity_from=START))
    assert warehouse.received == len(warehouse.rows)
    assert sandbox.backend.stats()["fault_corrupt_download"] > 0


def test_batch_mode_run_as_a_command_forks_its_workers_and_writes_every_activity(
    make_sandbox, tmp_path
) -> None:
    # As Meltano runs it: a process of its own, with no other thread, so workers are forked.
    sandbox = make_sandbox(activities_per_day=100, fragment_records=7000)
    config = tap_config(sandbox, batch_config=batch_config(tmp_path / "files"))
    run = run_tap_cli(config, tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "worker process(es), forked." in run.stderr
    manifests = [m["manifest"] for m in run.messages if m["type"] == "BATCH"]
    assert max(map(len, manifests)) == 2
    warehouse = Warehouse()
    warehouse.load_messages([{"type": "RECORD", "record": r} for r in read_batches(run.messages)])
    warehouse.assert_equals(sandbox.backend.ground_truth(activity_from=START))
    assert warehouse.received == len(warehouse.rows)
    # Nothing the tap wrote before forking was written again by a worker.
    assert sum(m["type"] == "SCHEMA" for m in run.messages) == 1


def test_batch_mode_refuses_other_encodings(make_sandbox, tmp_path) -> None:
    sandbox = make_sandbox()
    config = tap_config(sandbox, batch_config=batch_config(tmp_path))
    config["batch_config"]["encoding"] = {"format": "parquet"}  # type: ignore[index]
    result = run_tap(config, expect_error=True)
    assert "BATCH mode writes JSON Lines" in str(result.error)


def test_batch_lines_needing_no_change_are_copied_and_others_rewritten(tmp_path) -> None:
    from tap_peopleai.batches import BatchFileTask, write_batch_file

    source = tmp_path / "fragment.jsonl"
    source.write_bytes(
        b'{"uid": "a", "timestamp": "2026-01-02T03:04:05Z", "crm_status": {"push_time": null}}\n'
        b'{"uid": "b", "timestamp": "2026-01-02T03:04:05"}\n'
        b'{"uid": "c", "timestamp": "2025-12-31T23:59:59Z"}\n'
        b'{"uid": "d", "timestamp": "2026-01-03T00:00:00Z", "experimental": '
        b'{"internal_match_status": {"push_time": "2026-01-03T01:00:00.5"}}}\n'
    )
    task = BatchFileTask(
        source_path=str(source),
        start=0,
        end=source.stat().st_size,
        url=f"file://{tmp_path}/out/batch.jsonl.gz",
        storage_params={},
        where="job 1 (snapshot 2026-01-01..2026-01-31), fragment 0",
        first_date="2026-01-01",
        last_date=None,
        gzip=True,
    )
    result = write_batch_file(task)
    assert (result.records, result.outside_dates, result.error) == (3, 1, None)
    with gzip.open(tmp_path / "out" / "batch.jsonl.gz") as written:
        lines = written.read().splitlines()
    assert lines[0] == (
        b'{"uid": "a", "timestamp": "2026-01-02T03:04:05Z", "crm_status": {"push_time": null}}'
    )
    assert json.loads(lines[1])["timestamp"] == "2026-01-02T03:04:05Z"
    assert json.loads(lines[2])["experimental"]["internal_match_status"]["push_time"] == (
        "2026-01-03T01:00:00.5Z"
    )


def test_batch_file_reports_the_bad_line(tmp_path) -> None:
    from tap_peopleai.batches import BatchFileTask, write_batch_file

    source = tmp_path / "fragment.jsonl"
    source.write_bytes(b'{"uid": "a"}\n{"uid": "b", "timestamp": 7}\n{"uid": \n')
    task = BatchFileTask(
        str(source),
        0,
        source.stat().st_size,
        f"file://{tmp_path}/b.jsonl",
        {},
        "job 9, fragment 2",
        "2026-01-01",
        None,
        gzip=False,
    )
    result = write_batch_file(task)
    assert result.bad_line == 2
    assert result.error is not None
    assert "job 9, fragment 2, line 2" in result.error


def test_parts_cover_the_fragment_and_are_cut_after_newlines(tmp_path) -> None:
    from tap_peopleai.batches import MIN_PART_BYTES, plan_parts

    source = tmp_path / "fragment.jsonl"
    line = b'{"uid": "%06d", "pad": "' + b"x" * 900 + b'"}\n'
    source.write_bytes(b"".join(line % n for n in range(5 * MIN_PART_BYTES // 2 // len(line))))
    data = source.read_bytes()
    for wanted, expected in ((1, 1), (2, 2), (3, 2), (8, 2)):
        parts = plan_parts(str(source), wanted)
        assert len(parts) == expected
        assert parts[0][0] == 0
        assert parts[-1][1] == len(data)
        for (_, end), (start, _) in itertools.pairwise(parts):
            assert end == start
            assert data[start - 1 : start] == b"\n"
    small = tmp_path / "small.jsonl"
    small.write_bytes(b'{"uid": "a"}\n{"uid": "b"}\n')
    assert plan_parts(str(small), 4) == [(0, small.stat().st_size)]


def test_parts_written_apart_hold_what_the_whole_fragment_holds(tmp_path) -> None:
    from tap_peopleai.batches import BatchFileTask, plan_parts, write_batch_file

    source = tmp_path / "fragment.jsonl"
    line = b'{"uid": "%06d", "timestamp": "2026-01-02T03:04:%02d", "pad": "' + b"y" * 1200 + b'"}\n'
    source.write_bytes(b"".join(line % (n, n % 60) for n in range(8000)))

    def write(parts: int) -> list[bytes]:
        lines = []
        for number, (start, end) in enumerate(plan_parts(str(source), parts)):
            task = BatchFileTask(
                str(source),
                start,
                end,
                f"file://{tmp_path}/{parts}-{number}.jsonl.gz",
                {},
                "job 1, fragment 0",
                "2026-01-01",
                None,
                gzip=True,
            )
            result = write_batch_file(task)
            assert result.error is None
            with gzip.open(tmp_path / f"{parts}-{number}.jsonl.gz") as written:
                part_lines = written.read().splitlines()
            assert result.records == len(part_lines)
            lines += part_lines
        return lines

    whole = write(1)
    assert len(whole) == 8000
    assert write(2) == whole
    assert json.loads(whole[1])["timestamp"] == "2026-01-02T03:04:01Z"


def test_a_bad_line_in_a_later_part_is_named_by_its_line_in_the_fragment(tmp_path) -> None:
    from tap_peopleai.batches import BatchFileTask, plan_parts, write_batch_file

    source = tmp_path / "fragment.jsonl"
    line = b'{"uid": "%06d", "pad": "' + b"z" * 1000 + b'"}\n'
    lines = [line % n for n in range(9000)]
    lines[7000] = b'{"uid": "broken", \n'
    source.write_bytes(b"".join(lines))
    (_, _), (start, end) = plan_parts(str(source), 2)
    assert start < sum(map(len, lines[:7000]))
    task = BatchFileTask(
        str(source),
        start,
        end,
        f"file://{tmp_path}/b.jsonl",
        {},
        "job 3, fragment 4",
        "2026-01-01",
        None,
        gzip=False,
    )
    result = write_batch_file(task)
    assert result.bad_line == 7001
    assert result.error is not None
    assert result.error.startswith("job 3, fragment 4, line 7001: not valid JSON")


def test_workers_are_forked_only_while_no_other_thread_runs() -> None:
    from tap_peopleai.batches import worker_start_method

    probe = "from tap_peopleai.batches import worker_start_method; print(worker_start_method())"
    alone = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert alone.stdout.strip() == "fork"
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert worker_start_method() == "spawn"
    finally:
        release.set()
        other.join()
