"""Record parsing: framing noise, timestamps in every shape, clear errors for bad lines."""

from __future__ import annotations

import io
import itertools
import random

import orjson
import pytest

from tap_peopleai.errors import FragmentDataError
from tap_peopleai.records import (
    Block,
    iter_fragment_blocks,
    iter_fragment_lines,
    normalise_block,
    normalize_timestamp,
    parse_activity,
    within_dates,
)

WHERE = "job 5 (snapshot 2026-01-01..2026-12-31), fragment 2"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2022-07-12T07:13:58Z", "2022-07-12T07:13:58Z"),
        ("2022-07-12T07:13:58", "2022-07-12T07:13:58Z"),
        ("2022-07-12T07:13:58.120Z", "2022-07-12T07:13:58.12Z"),
        ("2022-07-12T07:13:58.123456789", "2022-07-12T07:13:58.123456Z"),
        ("2022-07-12T09:13:58+02:00", "2022-07-12T07:13:58Z"),
        ("2022-07-12T01:13:58-0600", "2022-07-12T07:13:58Z"),
        ("2022-07-12 07:13:58", "2022-07-12T07:13:58Z"),
        ("2022-07-12", "2022-07-12T00:00:00Z"),
    ],
)
def test_timestamps_are_emitted_as_rfc3339_utc(raw: str, expected: str) -> None:
    assert normalize_timestamp(raw) == expected


def test_framing_noise_is_removed_and_line_numbers_count_every_line() -> None:
    data = b'\xef\xbb\xbf{"uid": "a"}\r\n\r\n{"uid": "b"}\r\n\x00\x00'
    assert list(iter_fragment_lines(io.BytesIO(data))) == [
        (1, b'{"uid": "a"}'),
        (3, b'{"uid": "b"}'),
    ]


def test_nested_timestamps_are_normalised() -> None:
    record, changed = parse_activity(
        b'{"uid": "u", "timestamp": "2022-07-12T07:13:58", "crm_status": {"push_time": '
        b'"2022-07-13T01:02:03.5"}, "experimental": {"internal_match_status": '
        b'{"push_time": "2022-07-13T01:02:03"}}}',
        1,
        "job 1, fragment 0",
    )
    assert changed
    assert record["timestamp"] == "2022-07-12T07:13:58Z"
    assert record["crm_status"]["push_time"] == "2022-07-13T01:02:03.5Z"
    assert record["experimental"]["internal_match_status"]["push_time"] == "2022-07-13T01:02:03Z"


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        (b'{"uid": "u", "timestamp": ', "not valid JSON"),
        (b'["not", "an", "object"]', "expected a JSON object"),
        (b'{"uid": "u", "timestamp": "yesterday"}', "not a timestamp"),
    ],
)
def test_bad_lines_raise_errors_naming_job_fragment_and_line(line: bytes, fragment: str) -> None:
    with pytest.raises(FragmentDataError, match=fragment) as caught:
        parse_activity(line, 7, "job 42 (delta 2026-01-01..2026-01-14), fragment 3")
    assert "job 42" in str(caught.value)
    assert "fragment 3" in str(caught.value)
    assert "line 7" in str(caught.value)
    assert caught.value.line_number == 7


def test_records_already_in_rfc3339_are_reported_unchanged() -> None:
    record, changed = parse_activity(
        b'{"uid": "u", "timestamp": "2022-07-12T07:13:58Z", "crm_status": {"push_time": null}}',
        1,
        "job 1, fragment 0",
    )
    assert not changed
    assert record == {
        "uid": "u",
        "timestamp": "2022-07-12T07:13:58Z",
        "crm_status": {"push_time": None},
    }


# Lines of every shape the line-by-line path handles; normalise_block must treat each the same.
CLEAN = b'{"uid": "c", "timestamp": "2026-03-01T10:00:00Z", "ingest_timestamp": "2026-03-01T11:00:00Z", "subject": "Zo\xc3\xab \xe5\x96\xb6\xe6\xa5\xad", "crm_status": {"push_time": "2026-03-01T12:00:00Z"}}'  # noqa: E501
LINES = [
    CLEAN,
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
]
BAD_LINES = [
    b'{"uid": "j", "timestamp": ',
    b"[1, 2]",
    b'{"uid": "v", "timestamp": 7}',
    b'{"uid": "y", "timestamp": "tomorrow"}',
    b'{"uid": "z", "subject": "\xff"}',
    b'{"uid": "a"} {"uid": "b"}',
    b'{"uid": "g", "crm_status": {"push_time": 12}}',
]


def line_by_line(data: bytes, first: str, last: str | None) -> tuple[list[bytes], int]:
    """What RECORD mode does with each line, as JSON Lines: the reference."""
    kept, outside = [], 0
    for number, line in iter_fragment_lines(io.BytesIO(data)):
        record, changed = parse_activity(line, number, WHERE)
        if within_dates(record, first, last):
            kept.append(orjson.dumps(record) if changed else line)
        else:
            outside += 1
    return kept, outside


def block_by_block(data: bytes, first: str, last: str | None) -> tuple[list[bytes], int]:
    kept, outside = [], 0
    for block in iter_fragment_blocks(io.BytesIO(data)):
        lines, count, left_out = normalise_block(block, WHERE, first, last)
        assert lines.endswith(b"\n") or not lines
        assert len(lines.splitlines()) == count
        kept += [line.strip(b" \t") for line in lines.splitlines()]
        outside += left_out
    return kept, outside


@pytest.mark.parametrize("seed", range(120))
def test_blocks_are_normalised_exactly_as_line_by_line(seed: int) -> None:
    rng = random.Random(seed)
    lines = [rng.choice(LINES) for _ in range(rng.randint(1, 40))]
    if seed % 3 == 0:  # the common case: every line clean
        lines = [CLEAN] * len(lines)
    if seed % 3 == 1:  # no framing noise, so each line's times are read at once
        lines = [line for line in lines if line.startswith(b"{")] or [CLEAN]
    noisy = seed % 3 == 2
    ending = rng.choice([b"\n", b"\r\n"]) if noisy else b"\n"
    data = ending.join(lines) + rng.choice([b"", ending, ending + b"\x00\x00"] if noisy else [b""])
    if noisy and seed % 5 == 0:
        data = b"\xef\xbb\xbf" + data
    last = rng.choice([None, "2026-12-31"])
    expected = line_by_line(data, "2026-01-01", last)
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
    assert block_by_block(data, "2026-01-01", last) == expected


def test_a_clean_block_is_passed_on_as_it_came() -> None:
    data = b"\n".join([CLEAN] * 3) + b"\n"
    assert normalise_block(Block(1, 3, data), WHERE, "2026-01-01", None) == (data, 3, 0)


def test_blocks_cover_the_fragment_from_any_line_start_to_any_line_end() -> None:
    data = b"".join(b'{"n": %d}\n' % n for n in range(1, 60))
    stream = io.BytesIO(data)
    start = data.index(b'{"n": 7}')
    end = data.index(b'{"n": 40}')
    stream.seek(start)
    blocks = list(iter_fragment_blocks(stream, end, block_bytes=100))
    assert len(blocks) > 3
    assert b"".join(block.data for block in blocks) == data[start:end]
    assert all(block.data.endswith(b"\n") for block in blocks)
    for block, following in itertools.pairwise(blocks):
        assert following.first_line == block.first_line + block.lines
    assert blocks[0].first_line == 1
    assert sum(block.lines for block in blocks) == 33
