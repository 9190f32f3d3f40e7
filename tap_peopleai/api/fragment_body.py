"""Streaming a fragment's body to a file: the vendor's time allowance, interrupts, short bodies."""

from __future__ import annotations

import time
from typing import IO

import requests

from tap_peopleai.errors import DownloadCancelledError, DownloadIncompleteError
from tap_peopleai.interrupts import GUARD
from tap_peopleai.settings.api_limits import DOWNLOAD_SECONDS_PER_BYTE

MIN_DOWNLOAD_SECONDS = 60.0
CHUNK_BYTES = 1024 * 1024


def stream_body(
    response: requests.Response, sink: IO[bytes], doing: str, expected_bytes: int | None
) -> None:
    """Write the body to ``sink``; raises DownloadIncompleteError if it is cut short or slow."""
    length_header = response.headers.get("Content-Length")
    declared = int(length_header) if length_header and length_header.isdigit() else None
    size = declared or expected_bytes or 0
    allowed = max(MIN_DOWNLOAD_SECONDS, size * DOWNLOAD_SECONDS_PER_BYTE)
    deadline = time.monotonic() + allowed
    for chunk in response.iter_content(CHUNK_BYTES):
        if GUARD.stopping.is_set():
            msg = f"{doing} stopped: the sync is being interrupted"
            raise DownloadCancelledError(msg)
        sink.write(chunk)
        if time.monotonic() > deadline:
            msg = f"{doing} took longer than the {allowed:.0f} s allowed for its size"
            raise DownloadIncompleteError(msg)
    received = response.raw.tell()
    if declared is not None and received < declared:
        msg = f"{doing} ended after {received} of {declared} bytes"
        raise DownloadIncompleteError(msg)
    sink.flush()
