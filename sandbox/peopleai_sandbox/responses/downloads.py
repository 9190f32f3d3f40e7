"""The bytes of a download: a plan's fragments (``models.downloads``) as segments.

A download is assembled as a list of segments, each either bytes or a range of a fragment file,
so that clean ranges go out with ``sendfile`` while faults splice in garbled or truncated lines,
and line noise adds its prefix and suffix. ``wire.transfer`` puts the segments on the wire.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import orjson

from peopleai_sandbox.models.downloads import DownloadPlan
from peopleai_sandbox.models.fault_dice import FaultDice
from peopleai_sandbox.models.fragments import Fragment
from peopleai_sandbox.models.stats import Counters
from peopleai_sandbox.responses.faults import FaultInjector
from peopleai_sandbox.responses.mutations import gzip_body
from peopleai_sandbox.settings.config import Variants
from peopleai_sandbox.settings.faults import Faults

# Line number (1-based) of the invalid line that Faults.persistent_bad_line puts in fragment 0.
PERSISTENT_BAD_LINE = 3
NOISE_PREFIX = b"\xef\xbb\xbf"
NOISE_SUFFIX = b"\x00\x00\x00\x00"

Segment = bytes | tuple[Path, int, int]
_READ_CHUNK = 1 << 20


@dataclass(frozen=True)
class AssembledDownload:
    """The bytes of one download, and how to send them."""

    segments: list[Segment]
    total: int
    cut_after: int | None  # a dropped connection: bytes sent before hanging up
    bandwidth: int | None
    gzip: bool  # compressed on the fly, chunked
    # The segments are already encoded so (a truncated gzip stream), sent with Content-Length.
    content_encoding: str | None = None


def assemble(
    plan: DownloadPlan,
    variants: Variants,
    faults: Faults,
    injector: FaultInjector,
    dice: FaultDice,
    counters: Counters,
) -> AssembledDownload:
    """The segments of a plan, with line noise and the download faults drawn for it."""
    resource = (str(plan.job.public_id), str(plan.fragment_index))
    drop = injector.spoils_download("dropped_download", faults.drop_download_rate, resource)
    corrupt = injector.spoils_download("corrupt_download", faults.corrupt_download_rate, resource)
    segments: list[Segment] = []
    if variants.line_noise:
        segments.append(NOISE_PREFIX)
    corrupt_at: tuple[int, int] | None = None
    if corrupt:
        with_lines = [n for n, fragment in enumerate(plan.fragments) if fragment.line_starts]
        if with_lines:
            chosen = with_lines[int(dice.roll("corrupt_fragment") * len(with_lines))]
            lines = len(plan.fragments[chosen].line_starts)
            corrupt_at = (chosen, int(dice.roll("corrupt_line") * lines))
            counters.count_fault("corrupt_download")
    first = plan.job.fragments[0] if plan.job.fragments else None
    for position, fragment in enumerate(plan.fragments):
        replacements: dict[int, bytes] = {}
        if faults.persistent_bad_line and fragment is first and fragment.line_starts:
            line = min(PERSISTENT_BAD_LINE, len(fragment.line_starts)) - 1
            original = _read_line(fragment, line)
            replacements[line] = original[: len(original) // 2]
            counters.count_fault("bad_line")
        if corrupt_at is not None and corrupt_at[0] == position:
            line = corrupt_at[1]
            replacements[line] = _garble(replacements.get(line) or _read_line(fragment, line))
        segments.extend(_fragment_segments(fragment, replacements))
    if variants.line_noise:
        segments.append(NOISE_SUFFIX)
    total = sum(len(s) if isinstance(s, bytes) else s[2] for s in segments)
    cut_after: int | None = None
    if drop:
        cut = max(0, min(total - 1, int(total * (0.2 + 0.6 * dice.roll("drop_at")))))
        if total > 1:  # an empty body has nothing to cut short
            cut_after = cut
            counters.count_fault("dropped_download")
    bandwidth = faults.bandwidth_bytes_per_second
    if bandwidth is not None:
        counters.count_fault("throttled_download")
    assembled = AssembledDownload(segments, total, cut_after, bandwidth, variants.gzip)
    return spoil_whole(assembled, faults, injector, dice, counters, resource)


def spoil_whole(
    download: AssembledDownload,
    faults: Faults,
    injector: FaultInjector,
    dice: FaultDice,
    counters: Counters,
    resource: tuple[str, str],
) -> AssembledDownload:
    """An empty body, a body cut at a line boundary with a matching Content-Length, or one sent
    gzip-encoded and stopped at a flush point, when those faults are drawn (built in memory)."""
    empty = injector.spoils_download("empty_download", faults.empty_download_rate, resource)
    short = injector.spoils_download("short_download", faults.short_download_rate, resource)
    gzipped = injector.spoils_download("truncated_gzip", faults.truncated_gzip_rate, resource)
    if download.total == 0 or not (empty or short or gzipped):
        return download
    body = b"".join(iter_chunks(download.segments, None))
    if empty:
        counters.count_fault("empty_download")
        return replace(download, segments=[], total=0, cut_after=None)
    kept = body[: line_boundary(body, 0.2 + 0.6 * dice.roll("short_at"))]
    if short:
        counters.count_fault("short_download")
        return replace(download, segments=[kept], total=len(kept), cut_after=None)
    counters.count_fault("truncated_gzip")
    encoded = gzip_body(kept, finish=False)
    return replace(
        download,
        segments=[encoded],
        total=len(encoded),
        cut_after=None,
        gzip=False,
        content_encoding="gzip",
    )


def line_boundary(body: bytes, fraction: float) -> int:
    """The end of a line near ``fraction`` of the body, short of its end (0: no line fits)."""
    return body.rfind(b"\n", 0, min(len(body) - 1, int(len(body) * fraction))) + 1


def iter_chunks(segments: list[Segment], limit: int | None) -> Iterator[bytes]:
    """The bytes of the segments, at most ``limit`` of them."""
    remaining = limit
    for segment in segments:
        if isinstance(segment, bytes):
            pieces: Iterator[bytes] = iter((segment,))
        else:
            pieces = _file_chunks(*segment)
        for piece in pieces:
            if remaining is None:
                yield piece
                continue
            if remaining <= 0:
                return
            allowed = piece[:remaining]
            remaining -= len(allowed)
            yield allowed


def _file_chunks(path: Path, offset: int, length: int) -> Iterator[bytes]:
    with path.open("rb") as handle:
        handle.seek(offset)
        while length > 0:
            piece = handle.read(min(_READ_CHUNK, length))
            if not piece:
                return
            length -= len(piece)
            yield piece


def _read_line(fragment: Fragment, line: int) -> bytes:
    start, end = fragment.line_starts[line], fragment.line_ends[line]
    with fragment.path.open("rb") as handle:
        handle.seek(start)
        return handle.read(end - start)


def _garble(line: bytes) -> bytes:
    """The same number of bytes, no longer valid JSON: what a flipped transfer looks like."""
    middle = len(line) // 2
    garbled = line[:middle] + b'"#GARBLED#' + line[middle + 10 :]
    try:
        orjson.loads(garbled)
    except orjson.JSONDecodeError:
        return garbled[: len(line)]
    return b"#" + line[1:]


def _fragment_segments(fragment: Fragment, replacements: dict[int, bytes]) -> Iterator[Segment]:
    position = 0
    for line in sorted(replacements):
        start, end = fragment.line_starts[line], fragment.line_ends[line]
        if start > position:
            yield (fragment.path, position, start - position)
        yield replacements[line]
        position = end
    if fragment.size > position:
        yield (fragment.path, position, fragment.size - position)
