"""Record parsing: framing noise, timestamps in every shape, clear errors for bad lines.

How records are made to fit the schema (undeclared fields, conversions, kept values) is in
test_record_conformance.py.
"""

from __future__ import annotations

import io
import itertools

import pytest

from tap_peopleai.errors import FragmentDataError
from tap_peopleai.records.parsing import iter_fragment_blocks, iter_fragment_lines, parse_activity
from tap_peopleai.records.timestamps import normalize_date, normalize_timestamp


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
        # the shapes `created` has come in
        ("2025-01-03 10:00:00", "2025-01-03T10:00:00Z"),
        ("2025-01-03T10:00:00+00:00", "2025-01-03T10:00:00Z"),
        ("20250103T100000Z", "2025-01-03T10:00:00Z"),
        ("20250103T120000+0200", "2025-01-03T10:00:00Z"),
        ("Fri, 03 Jan 2025 10:00:00 GMT", "2025-01-03T10:00:00Z"),
        ("Fri, 03 Jan 2025 11:00:00 +0100", "2025-01-03T10:00:00Z"),
        ("2025-01-03 10:00:00 UTC", "2025-01-03T10:00:00Z"),
        ("2025-01-03t10:00:00z", "2025-01-03T10:00:00Z"),
        ("  2025-01-03T10:00:00Z ", "2025-01-03T10:00:00Z"),
        ("2025-01-01T00:30:00+01:00", "2024-12-31T23:30:00Z"),
        (1735898400000, "2025-01-03T10:00:00Z"),
        (1735898400123, "2025-01-03T10:00:00.123Z"),
        (1735898400, "2025-01-03T10:00:00Z"),
        (1735898400.25, "2025-01-03T10:00:00.25Z"),
        (-1000000000, "1938-04-24T22:13:20Z"),
    ],
)
def test_timestamps_are_emitted_as_rfc3339_utc(raw: str | float, expected: str) -> None:
    assert normalize_timestamp(raw) == expected
    assert normalize_timestamp(expected) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "yesterday",
        "",
        "2025-13-01T00:00:00Z",
        "2025-02-30 10:00:00",
        "2025-01-03T25:00:00",
        "12:00",
        7,  # a count, not a time: too small for epoch seconds
        10**15,  # too large for epoch milliseconds
        True,
        None,
        {"at": "2025-01-03"},
        ["2025-01-03"],
    ],
)
def test_values_that_are_no_timestamp_are_refused(raw: object) -> None:
    with pytest.raises(ValueError, match="timestamp"):
        normalize_timestamp(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2025-01-03", "2025-01-03"),
        ("2025-01-03T00:00:00Z", "2025-01-03"),
        ("2025-01-03 00:00:00", "2025-01-03"),
        ("20250103", "2025-01-03"),
    ],
)
def test_dates_are_emitted_as_iso_dates(raw: str, expected: str) -> None:
    assert normalize_date(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["2025-01-03T10:00:00Z", "2025-01-03T00:00:00+02:00", "2025-02-30", "2025-W01-5"],
)
def test_a_date_must_be_a_calendar_day_at_midnight_utc(raw: str) -> None:
    with pytest.raises(ValueError, match=r"not a (date|timestamp)"):
        normalize_date(raw)


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
        (b'{"timestamp": "2022-07-12T07:13:58Z"}', "uid is None, but every activity needs one"),
        (b'{"uid": null}', "uid is None"),
        (b'{"uid": {"id": 1}}', "uid is {'id': 1}"),
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
