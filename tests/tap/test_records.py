"""Record parsing: framing noise, timestamps in every shape, clear errors for bad lines."""

from __future__ import annotations

import io
import itertools

import pytest

from tap_peopleai.errors import FragmentDataError
from tap_peopleai.records import (
    iter_fragment_blocks,
    iter_fragment_lines,
    normalize_timestamp,
    parse_activity,
)


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
