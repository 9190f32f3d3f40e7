"""The checks that show a download whole: a compressed stream's end, and a job's results_size."""

from __future__ import annotations

import datetime as dt
import zlib

import pytest

from tap_peopleai.api.fragment_body import BodyDecoder
from tap_peopleai.errors import DownloadIncompleteError, JobIncompleteError
from tap_peopleai.export.downloads import check_job_size
from tap_peopleai.state.entries import JobInFlight
from tap_peopleai.state.windows import ExportWindow

LINES = b"".join(b'{"uid": "%d"}\n' % n for n in range(500))


def _gzip(data: bytes, finish: bool) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)
    return compressor.compress(data) + compressor.flush(
        zlib.Z_FINISH if finish else zlib.Z_SYNC_FLUSH
    )


def _decode(decoder: BodyDecoder, body: bytes, piece: int = 7) -> bytes:
    return b"".join(decoder.decode(body[i : i + piece]) for i in range(0, len(body), piece))


def test_a_gzip_stream_cut_at_a_flush_point_decodes_but_is_not_complete() -> None:
    decoder = BodyDecoder("gzip")
    assert _decode(decoder, _gzip(LINES[:3000], finish=False)) == LINES[:3000]
    assert not decoder.complete


def test_whole_streams_are_complete_several_gzip_members_too() -> None:
    decoder = BodyDecoder("GZIP")
    body = _gzip(LINES[:1000], finish=True) + _gzip(LINES[1000:], finish=True)
    assert _decode(decoder, body) == LINES
    assert decoder.complete
    deflate = BodyDecoder("deflate")
    assert deflate.decode(zlib.compress(LINES)) == LINES
    assert deflate.complete
    plain = BodyDecoder("")
    assert plain.decode(b"abc") == b"abc"
    assert plain.complete


def test_unknown_encodings_and_corrupt_streams_are_incomplete_downloads() -> None:
    with pytest.raises(DownloadIncompleteError, match="unknown Content-Encoding 'br'"):
        BodyDecoder("br")
    with pytest.raises(DownloadIncompleteError, match="gzip stream is corrupt"):
        BodyDecoder("gzip").decode(b"not gzip at all")


JOB = JobInFlight(ExportWindow("delta", dt.date(2026, 1, 1), dt.date(2026, 1, 14)), "all", "77")


@pytest.mark.parametrize(
    ("decoded", "wire"),
    [(1000, 1000), (1000, 300), (1200, 300), (900, 1000)],
    ids=["plain", "results_size-counts-plain", "noise", "results_size-counts-compressed"],
)
def test_a_job_is_whole_when_either_measure_reaches_results_size(decoded, wire) -> None:  # type: ignore[no-untyped-def]
    check_job_size(JOB, 3, 1000, decoded, wire)


def test_a_job_short_by_both_measures_names_job_fragments_and_sizes() -> None:
    with pytest.raises(JobIncompleteError) as caught:
        check_job_size(JOB, 3, 1000, 999, 400)
    message = str(caught.value)
    assert "Job 77 (delta 2026-01-01..2026-01-14)" in message
    assert "999 bytes (400 on the wire) in fragments 0 to 3" in message
    assert "1,000 bytes its results_size announced" in message
