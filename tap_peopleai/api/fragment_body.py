"""Streaming a fragment's body to a file, shown whole: the declared length is reached, a
compressed stream reaches its end, the vendor's time allowance holds, no interrupt came.

The body is read as it came over the wire and decoded here, not by the HTTP library: urllib3
decodes gzip silently and says nothing when the stream stops before its end (cut at a flush
point, every decoded line is still valid JSON); only the decompressor's ``eof`` shows it.
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass
from typing import IO

import requests
import urllib3.exceptions

from tap_peopleai.errors import DownloadCancelledError, DownloadIncompleteError
from tap_peopleai.interrupts import GUARD
from tap_peopleai.settings.api_limits import DOWNLOAD_SECONDS_PER_BYTE
from tap_peopleai.settings.literals import whole_number

MIN_DOWNLOAD_SECONDS = 60.0
CHUNK_BYTES = 1024 * 1024
# Content-Encoding -> the zlib window bits of its decoder; None: the body is sent as it is.
ENCODINGS: dict[str, int | None] = {
    "": None,
    "identity": None,
    "gzip": 31,
    "x-gzip": 31,
    "deflate": 15,
}


@dataclass(frozen=True)
class BodyReceipt:
    """What one download delivered: bytes on the wire, and once decoded."""

    wire_bytes: int
    decoded_bytes: int


class BodyDecoder:
    """Decodes a body of one Content-Encoding and tells whether its stream reached its end."""

    def __init__(self, encoding: str) -> None:
        self.name = encoding.strip().lower()
        if self.name not in ENCODINGS:
            msg = f"it came in an unknown Content-Encoding {encoding!r}"
            raise DownloadIncompleteError(msg)
        self._wbits = ENCODINGS[self.name]
        self._zlib = None if self._wbits is None else zlib.decompressobj(self._wbits)

    def decode(self, data: bytes) -> bytes:
        """The decoded bytes of the next piece of the body."""
        if self._zlib is None or self._wbits is None:
            return data
        out = []
        try:
            while data:
                out.append(self._zlib.decompress(data))
                # gzip allows several members, one after another
                data = self._zlib.unused_data if self._zlib.eof else b""
                if data:
                    self._zlib = zlib.decompressobj(self._wbits)
        except zlib.error as exc:
            msg = f"its {self.name} stream is corrupt ({exc})"
            raise DownloadIncompleteError(msg) from exc
        return b"".join(out)

    @property
    def complete(self) -> bool:
        """Whether a compressed stream reached its end (a plain body always has)."""
        return self._zlib is None or self._zlib.eof


def stream_body(
    response: requests.Response, sink: IO[bytes], doing: str, expected_bytes: int | None
) -> BodyReceipt:
    """Write the decoded body to ``sink``; DownloadIncompleteError unless it is shown whole."""
    declared = whole_number(response.headers.get("Content-Length"), low=0)
    decoder = BodyDecoder(response.headers.get("Content-Encoding", ""))
    size = declared or expected_bytes or 0
    allowed = max(MIN_DOWNLOAD_SECONDS, size * DOWNLOAD_SECONDS_PER_BYTE)
    deadline = time.monotonic() + allowed
    wire = decoded = 0
    try:
        for chunk in response.raw.stream(CHUNK_BYTES, decode_content=False):
            if GUARD.stopping.is_set():
                msg = f"{doing} stopped: the sync is being interrupted"
                raise DownloadCancelledError(msg)
            wire += len(chunk)
            data = decoder.decode(chunk)
            decoded += len(data)
            sink.write(data)
            if time.monotonic() > deadline:
                msg = f"it took longer than the {allowed:.0f} s allowed for its size"
                raise DownloadIncompleteError(msg)
    except urllib3.exceptions.HTTPError as exc:
        # a connection closed early, a broken chunked body, a read timeout
        msg = f"the connection broke after {wire} bytes ({type(exc).__name__})"
        raise DownloadIncompleteError(msg) from exc
    if declared is not None and wire != declared:
        msg = f"ended after {wire} of the {declared} bytes its Content-Length announced"
        raise DownloadIncompleteError(msg)
    if not decoder.complete:
        msg = (
            f"its {decoder.name} stream ended early: {wire} bytes without the end of the "
            "compressed stream"
        )
        raise DownloadIncompleteError(msg)
    sink.flush()
    return BodyReceipt(wire, decoded)
