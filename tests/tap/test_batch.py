"""BATCH mode: normalised fragments as jsonl.gz files, one BATCH message each, state after each."""

from __future__ import annotations

import gzip
import io
import itertools
import json
import logging
import random
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

import orjson
import pytest

from peopleai_sandbox import Faults, Variants
from tap_peopleai.batch.files import normalize_block
from tap_peopleai.errors import FragmentDataError
from tap_peopleai.records.field_notes import FieldNotes
from tap_peopleai.records.parsing import (
    Block,
    iter_fragment_blocks,
    iter_fragment_lines,
    parse_activity,
    within_dates,
)
from tests.support.processes import run_tap_cli
from tests.support.schema_check import schema_violations, undeclared_top_level
from tests.support.tap_runs import START, run_tap, tap_config, without_versions
from tests.support.truth import Warehouse


def batch_config(root: Path) -> dict[str, object]:
    return {
        "encoding": {"format": "jsonl", "compression": "gzip"},
        "storage": {"root": f"file://{root}", "prefix": "peopleai-"},
    }


def load_batches(messages) -> Warehouse:  # type: ignore[no-untyped-def]
    """A warehouse loaded with every record of the batch files the messages announce."""
    records = []
    for message in messages:
        if message["type"] == "BATCH":
            for url in message["manifest"]:
                with gzip.open(urlsplit(url).path, "rt") as batch:
                    records += [json.loads(line) for line in batch]
    warehouse = Warehouse()
    warehouse.load_messages([{"type": "RECORD", "record": r} for r in records])
    return warehouse


def test_batch_mode_writes_every_activity_once_as_normalised_files(make_sandbox, tmp_path) -> None:
    sandbox = make_sandbox(variants=Variants(timestamp_style="mixed", line_noise=True))
    config = tap_config(sandbox, batch_config=batch_config(tmp_path))
    result = run_tap(config)
    assert result.records == []
    batches = [m for m in result.messages if m["type"] == "BATCH"]
    assert batches
    assert batches[0]["encoding"] == {"format": "jsonl", "compression": "gzip"}
    warehouse = load_batches(result.messages)
    warehouse.assert_equals(sandbox.backend.ground_truth(activity_from=START))
    assert warehouse.received == len(warehouse.rows)
    assert all(r["timestamp"].endswith("Z") for r in warehouse.rows.values())
    # A STATE message follows every BATCH message, and the cursor lands where RECORD mode's does.
    kinds = [m["type"] for m in result.messages if m["type"] in ("BATCH", "STATE")]
    assert all(kinds[i + 1] == "STATE" for i, kind in enumerate(kinds) if kind == "BATCH")
    assert result.bookmark["cursor"] == "2026-06-15"
    # One snapshot window, one job: nothing is exported twice.
    assert sandbox.backend.stats()["jobs_created"] == 1
    assert sandbox.backend.stats()["downloads"] == len(batches)


def test_batch_files_hold_the_records_record_mode_emits_whatever_the_api_sends(
    make_sandbox, tmp_path, caplog
) -> None:
    variants = Variants(timestamp_style="mixed", extra_fields=True, type_drift=True)
    sandbox = make_sandbox(variants=variants, fragment_records=400)
    caplog.set_level(logging.INFO)
    record_mode = run_tap(tap_config(sandbox))
    told_in_record_mode = _field_lines(caplog)
    caplog.clear()
    batch_mode = run_tap(tap_config(sandbox, batch_config=batch_config(tmp_path)))
    batch_records = {r["uid"]: r for r in load_batches(batch_mode.messages).rows.values()}
    # BATCH files carry no row version (reconciliation needs RECORD mode); all else is equal.
    assert batch_records == {r["uid"]: r for r in without_versions(record_mode.records)}
    assert len(batch_records) == len(record_mode.records)
    assert any("additional_fields" in r for r in batch_records.values())
    # New fields, kept values and conversions are told alike, in the same order.
    assert _field_lines(caplog) == told_in_record_mode
    assert any(line.startswith("New field 'source_system'") for line in told_in_record_mode)


def _field_lines(caplog) -> list[str]:  # type: ignore[no-untyped-def]
    texts = ("New field ", "not of their declared type", "converted to their declared", "; loaded")
    return [r.getMessage() for r in caplog.records if any(t in r.getMessage() for t in texts)]


def test_batch_mode_recovers_corrupt_downloads(make_sandbox, tmp_path) -> None:
    sandbox = make_sandbox(faults=Faults(corrupt_download_rate=0.5), seed=5)
    result = run_tap(tap_config(sandbox, batch_config=batch_config(tmp_path)))
    warehouse = load_batches(result.messages)
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
    warehouse = load_batches(result.messages)
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
    warehouse = load_batches(run.messages)
    warehouse.assert_equals(sandbox.backend.ground_truth(activity_from=START))
    assert warehouse.received == len(warehouse.rows)
    # Nothing the tap wrote before forking was written again by a worker.
    schemas = [m["stream"] for m in run.messages if m["type"] == "SCHEMA"]
    assert sorted(schemas) == ["activities", "reconciliations"]


def test_batch_mode_refuses_other_encodings(make_sandbox, tmp_path) -> None:
    sandbox = make_sandbox()
    config = tap_config(sandbox, batch_config=batch_config(tmp_path))
    config["batch_config"]["encoding"] = {"format": "parquet"}  # type: ignore[index]
    result = run_tap(config, expect_error=True)
    assert "BATCH mode writes JSON Lines" in str(result.error)


def test_batch_lines_needing_no_change_are_copied_and_others_rewritten(tmp_path) -> None:
    from tap_peopleai.batch.files import BatchFileTask, write_batch_file

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
    from tap_peopleai.batch.files import BatchFileTask, write_batch_file

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
    # A timestamp of 7 is kept beside a null (line 2); line 3 is not JSON at all.
    assert result.bad_line == 3
    assert result.error is not None
    assert "job 9, fragment 2, line 3" in result.error


def test_parts_cover_the_fragment_and_are_cut_after_newlines(tmp_path) -> None:
    from tap_peopleai.batch.files import MIN_PART_BYTES, plan_parts

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
    from tap_peopleai.batch.files import BatchFileTask, plan_parts, write_batch_file

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
    from tap_peopleai.batch.files import BatchFileTask, plan_parts, write_batch_file

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
    from tap_peopleai.batch.files import worker_start_method

    probe = "from tap_peopleai.batch.files import worker_start_method; print(worker_start_method())"
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


WHERE = "job 5 (snapshot 2026-01-01..2026-12-31), fragment 2"

# Lines of every shape the line-by-line path handles; normalize_block must treat each the same.
CLEAN = b'{"uid": "c", "timestamp": "2026-03-01T10:00:00Z", "ingest_timestamp": "2026-03-01T11:00:00Z", "subject": "Zo\xc3\xab \xe5\x96\xb6\xe6\xa5\xad", "crm_status": {"push_time": "2026-03-01T12:00:00Z"}}'  # noqa: E501
# As clean, but for the integer peopleai_ids the API sends so often (in compact JSON, as real
# exports are written, and spaced).
WITH_IDS = (
    b'{"uid":"i","timestamp":"2026-03-01T10:00:00Z","participants":[{"peopleai_id":10001,'
    b'"crm_id":"003"},{"peopleai_id":"10002"},null,{"peopleai_id":0,"name":"N"}]}'
)
SPACED_IDS = (
    b'{"uid": "j", "timestamp": "2026-03-01T10:00:00Z", "participants": '
    b'[{"peopleai_id" : -42 }, {"team": {"crm_id": "00E"}, "peopleai_id": 7}]}'
)
LINES = [
    CLEAN,
    WITH_IDS,
    SPACED_IDS,
    b'{"uid": "n", "timestamp": "2026-03-01T10:00:00", "start_time": "2026-03-01 10:00:00"}',
    b'{"uid": "f", "timestamp": "2026-03-01T10:00:00.250Z", "end_time": null}',
    b'{"uid": "o", "timestamp": "2026-03-01T12:00:00+02:00"}',
    b'{"uid": "p", "timestamp": "2026-03-01T10:00:00Z", "crm_status": {"push_time": "2026-03-01"}}',
    b'{"uid": "x", "timestamp": "2026-03-01T10:00:00Z", "experimental": '
    b'{"internal_match_status": {"push_time": "2026-03-01T10:00:00"}}}',
    b'{"uid": "e", "timestamp": "2026-03-01T10:00:00Z", "experimental": '
    b'{"internal_match_status": {"push_time": "2026-03-01T10:00:00Z"}}}',
    b'{"uid": "s", "timestamp": "2026-03-01T10:00:00Z", "crm_status": "pushed", '
    b'"experimental": []}',
    b'{"uid": "m", "timestamp": null, "crm_status": null}',
    b'{"uid": "k"}',
    b'{"uid": "d", "timestamp": "2025-12-31T23:59:59Z"}',
    b'{"uid": "l", "timestamp": "2027-01-01T00:00:00Z"}',
    b'{"uid": "q", "timestamp": "2026-03-01T10:00:00Z", "participants": '
    b'[{"timestamp": "2026-03-01 10:00", "push_time": 5}]}',
    b'{"uid": "u", "time\\u0073tamp": "2026-03-01T10:00:00"}',
    b'{"uid": "t", "timestamp": "2026-03-01 10:00:00", "timestamp": "2026-03-01T10:00:00Z"}',
    b'  {"uid": "w", "timestamp": "2026-03-01T10:00:00Z"}\t',
    b"",
    b" \t",
    # values of other types than declared: converted, or kept beside a null
    b'{"uid": "v", "timestamp": 7}',
    b'{"uid": "y", "timestamp": "tomorrow"}',
    b'{"uid": "g", "crm_status": {"push_time": 12}}',
    b'{"uid": "h", "timestamp": "2026-02-30T10:00:00Z"}',
    b'{"uid": 77, "duration": "123", "reply_received": "true", "source_id": 2467229926}',
    b'{"uid": "r", "duration": "about an hour", "created": 1772362800000}',
    b'{"uid": "b", "created": "Sun, 01 Mar 2026 11:00:00 GMT", "crm_status": {"crm_id": 639,'
    b' "opportunity": {"stage_rank": 3.0}}, "participants": [{"crm_id": 3000000001}]}',
    # undeclared fields, top-level (moved to additional_fields) and nested (kept in place)
    b'{"uid": "z1", "timestamp": "2026-03-01T10:00:00Z", "ai_summary": "\xe2\x9c\xa8", '
    b'"engagement": {"score": 48}, "additional_fields": 1}',
    b'{"uid": "z2", "timestamp": "2026-03-01T10:00:00Z", "stats": {"words_spoken": 12}, '
    b'"participants": [{"peopleai_id": 5, "linkedin_url": "https://x.example/in/5"}]}',
    # "peopleai_id" written where a rewrite of the bytes could go wrong
    b'{"uid": "a1", "participants": [{"peopleai\\u005fid": 5}], "crm_status": {"lead": '
    b'{"peopleai_id": 6}}}',
    b'{"uid": "a2", "participants": [{"x\\"peopleai_id": 5, "peopleai_id": "6"}]}',
    b'{"uid": "a3", "summary": "said \\"peopleai_id\\": 9", "participants": [{"peopleai_id": 8}]}',
    b'{"uid": "a4", "participants": [{"peopleai_id": -0}, {"peopleai_id": 12}]}',
    b'{"uid": "a5", "crm_status": {"lead": {"peopleai_id": 6}}, "participants": '
    b'[{"peopleai_id": 7}]}',
]
BAD_LINES = [
    b'{"uid": "j", "timestamp": ',
    b"[1, 2]",
    b'{"uid": "z", "subject": "\xff"}',
    b'{"uid": "a"} {"uid": "b"}',
    b'{"timestamp": "2026-03-01T10:00:00Z"}',
    b'{"uid": null, "participants": [{"peopleai_id": 1}]}',
]


def line_by_line(
    data: bytes, first: str, last: str | None, notes: FieldNotes | None = None
) -> tuple[list[dict[str, object]], int]:
    """What RECORD mode emits for each line: the reference."""
    kept, outside = [], 0
    for number, line in iter_fragment_lines(io.BytesIO(data)):
        record, _ = parse_activity(line, number, WHERE, notes)
        if within_dates(record, first, last):
            kept.append(record)
        else:
            outside += 1
    return kept, outside


def block_by_block(
    data: bytes, first: str, last: str | None, notes: FieldNotes | None = None
) -> tuple[list[dict[str, object]], int]:
    """What BATCH mode writes, each line read back as a record."""
    kept, outside = [], 0
    for block in iter_fragment_blocks(io.BytesIO(data)):
        lines, count, left_out = normalize_block(block, WHERE, first, last, notes)
        assert lines.endswith(b"\n") or not lines
        assert len(lines.splitlines()) == count
        kept += [orjson.loads(line) for line in lines.splitlines()]
        outside += left_out
    return kept, outside


@pytest.mark.parametrize("seed", range(160))
def test_blocks_give_the_records_that_record_mode_emits(seed: int) -> None:
    rng = random.Random(seed)
    lines = [rng.choice(LINES) for _ in range(rng.randint(1, 40))]
    if seed % 4 == 0:  # the common case: every line clean
        lines = [CLEAN] * len(lines)
    if seed % 4 == 1:  # the case real exports give: clean, with integer peopleai_ids
        lines = [rng.choice([CLEAN, WITH_IDS, SPACED_IDS]) for _ in lines]
    if seed % 4 == 2:  # no framing noise, so each line's shape is decoded at once
        lines = [line for line in lines if line.startswith(b"{")] or [CLEAN]
    noisy = seed % 4 == 3
    ending = rng.choice([b"\n", b"\r\n"]) if noisy else b"\n"
    data = ending.join(lines) + rng.choice([b"", ending, ending + b"\x00\x00"] if noisy else [b""])
    if noisy and seed % 5 == 0:
        data = b"\xef\xbb\xbf" + data
    last = rng.choice([None, "2026-12-31"])
    record_notes, batch_notes = FieldNotes(), FieldNotes()
    expected = line_by_line(data, "2026-01-01", last, record_notes)
    for record in expected[0]:
        assert not schema_violations(record), schema_violations(record)
        assert not undeclared_top_level(record)
    if seed % 2:
        bad = rng.randrange(len(lines))
        lines[bad] = rng.choice(BAD_LINES)
        data = b"\n".join(lines) + b"\n"
        with pytest.raises(FragmentDataError) as reference:
            line_by_line(data, "2026-01-01", last)
        with pytest.raises(FragmentDataError) as caught:
            block_by_block(data, "2026-01-01", last)
        assert str(caught.value) == str(reference.value)
        assert caught.value.line_number == reference.value.line_number
        return
    assert block_by_block(data, "2026-01-01", last, batch_notes) == expected
    # What the records held beyond the schema is told the same way in both modes.
    assert batch_notes.new_fields == record_notes.new_fields
    assert batch_notes.kept_values == record_notes.kept_values
    assert batch_notes.kept_counts == record_notes.kept_counts
    assert batch_notes.converted_counts == record_notes.converted_counts


@pytest.mark.parametrize("line", [line for line in LINES if line.startswith(b"{")])
def test_each_line_alone_or_among_clean_ones_gives_the_record_mode_record(line: bytes) -> None:
    # Every line where the whole block may take the fast path.
    for lines in ([line], [WITH_IDS, line, CLEAN]):
        data = b"\n".join(lines) + b"\n"
        assert block_by_block(data, "2026-01-01", None) == line_by_line(data, "2026-01-01", None)


def test_a_block_whose_only_departure_is_integer_ids_is_rewritten_in_place() -> None:
    compact = b'{"uid":"k","participants":[{"team":{"crm_id":"00E"},"peopleai_id":-42}]}'
    data = b"\n".join([WITH_IDS, CLEAN, compact]) + b"\n"
    lines, count, outside = normalize_block(Block(1, 3, data), WHERE, "2026-01-01", None)
    assert (count, outside) == (3, 0)
    assert lines == (
        data.replace(b'"peopleai_id":10001', b'"peopleai_id":"10001"')
        .replace(b'"peopleai_id":0,', b'"peopleai_id":"0",')
        .replace(b'"peopleai_id":-42}', b'"peopleai_id":"-42"}')
    )


def test_a_clean_block_is_passed_on_as_it_came() -> None:
    data = b"\n".join([CLEAN] * 3) + b"\n"
    assert normalize_block(Block(1, 3, data), WHERE, "2026-01-01", None) == (data, 3, 0)
