"""Putting a download's segments on the wire: sendfile at full speed, throttled, or gzip-chunked."""

from __future__ import annotations

import socket
import time
import zlib
from collections.abc import Callable, Iterator
from typing import Protocol

from peopleai_sandbox.responses.downloads import AssembledDownload, Segment, iter_chunks


class Writer(Protocol):
    """Where bytes go: the handler's ``wfile``."""

    def write(self, data: bytes, /) -> object:
        """Write all of ``data``."""
        ...


def send_download_body(
    connection: socket.socket, wfile: Writer, download: AssembledDownload
) -> int:
    """Send the body of an assembled download (headers already sent); return the bytes sent.

    A dropped connection (``cut_after``) stops early: the caller then hangs up.
    """
    segments, limit, bandwidth = download.segments, download.cut_after, download.bandwidth
    if download.gzip:
        return _send_gzip(wfile, segments, limit, bandwidth)
    if bandwidth is None:
        return _send_fast(connection, segments, limit)
    return _send_throttled(wfile, iter_chunks(segments, limit), bandwidth)


def _send_fast(connection: socket.socket, segments: list[Segment], limit: int | None) -> int:
    """Plain download at full speed: sendfile for file ranges."""
    sent = 0
    for segment in segments:
        budget = None if limit is None else limit - sent
        if budget is not None and budget <= 0:
            break
        if isinstance(segment, bytes):
            piece = segment if budget is None else segment[:budget]
            connection.sendall(piece)
            sent += len(piece)
            continue
        path, offset, length = segment
        count = length if budget is None else min(length, budget)
        with path.open("rb") as handle:
            sent += connection.sendfile(handle, offset, count)
    return sent


class Pacer:
    """Keeps a sender at ``bandwidth`` bytes per second: after each piece, it sleeps for as long
    as the sender is ahead. The clock and the sleep are parameters so that a test can pass the
    seconds without waiting."""

    def __init__(
        self,
        bandwidth: int,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.bandwidth = bandwidth
        self.step = max(1024, bandwidth // 20)
        self._clock = clock
        self._sleep = sleep
        self._started = clock()
        self.total = 0

    def sent(self, count: int) -> None:
        """``count`` more bytes were sent: wait until the rate allows the next piece."""
        self.total += count
        delay = self.total / self.bandwidth - (self._clock() - self._started)
        if delay > 0:
            self._sleep(delay)


def _send_throttled(wfile: Writer, chunks: Iterator[bytes], bandwidth: int) -> int:
    """Send at most ``bandwidth`` bytes per second on this connection."""
    pacer = Pacer(bandwidth)
    for chunk in chunks:
        for offset in range(0, len(chunk), pacer.step):
            piece = chunk[offset : offset + pacer.step]
            wfile.write(piece)
            pacer.sent(len(piece))
    return pacer.total


def _send_gzip(
    wfile: Writer, segments: list[Segment], limit: int | None, bandwidth: int | None
) -> int:
    """Compress on the fly (fast level) and send with chunked transfer encoding.

    A dropped connection stops after ``limit`` input bytes without the closing chunk, which the
    client sees as a broken chunked body.
    """
    compressor = zlib.compressobj(1, zlib.DEFLATED, 31)

    def compressed() -> Iterator[bytes]:
        for chunk in iter_chunks(segments, limit):
            data = compressor.compress(chunk)
            if data:
                yield data
        if limit is None:
            yield compressor.flush()

    def framed() -> Iterator[bytes]:
        for data in compressed():
            if data:
                yield b"%x\r\n" % len(data) + data + b"\r\n"
        if limit is None:
            yield b"0\r\n\r\n"

    if bandwidth is not None:
        return _send_throttled(wfile, framed(), bandwidth)
    sent = 0
    for frame in framed():
        wfile.write(frame)
        sent += len(frame)
    return sent
