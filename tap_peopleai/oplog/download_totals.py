"""Running download totals: fragments, bytes and records so far, rates, and what is left.

Pure, no I/O: ``sync_log`` feeds it what was downloaded and emitted and prints ``Totals``.
"""

from __future__ import annotations

from dataclasses import dataclass

from tap_peopleai.oplog.bookkeeping import format_duration

MB = 1_000_000


def format_mb(size: float) -> str:
    """Bytes as MB (10^6), one decimal."""
    return f"{size / MB:.1f} MB"


@dataclass(frozen=True)
class Totals:
    """Download totals at one moment, with rates over the time spent downloading and emitting."""

    fragments: int
    fragments_known: int
    downloaded_bytes: int
    expected_bytes: int | None
    records: int
    active_seconds: float
    # Bytes already in the files of fragments still downloading.
    in_progress_bytes: int = 0

    @property
    def received_bytes(self) -> int:
        """Everything on disk so far, fragments still downloading included."""
        return self.downloaded_bytes + self.in_progress_bytes

    @property
    def bytes_per_second(self) -> float:
        """Download rate while the tap was downloading or emitting."""
        return self.received_bytes / self.active_seconds if self.active_seconds > 0 else 0.0

    @property
    def records_per_second(self) -> float:
        """Emission rate while the tap was downloading or emitting."""
        return self.records / self.active_seconds if self.active_seconds > 0 else 0.0

    @property
    def seconds_left(self) -> float | None:
        """Time left for what the Completed jobs' ``results_size`` announced (None: unknown)."""
        if self.expected_bytes is None or self.bytes_per_second <= 0:
            return None
        return max(0, self.expected_bytes - self.received_bytes) / self.bytes_per_second

    def describe(self) -> str:
        """The running-totals line."""
        known = max(self.fragments_known, self.fragments)
        partial = (
            f" (+{format_mb(self.in_progress_bytes)} of fragments still downloading)"
            if self.in_progress_bytes
            else ""
        )
        text = (
            f"Downloaded {self.fragments} of {known} known fragment(s): "
            f"{format_mb(self.downloaded_bytes)}{partial}, {self.records:,} records emitted, "
            f"{format_mb(self.bytes_per_second)}/s, {self.records_per_second:,.0f} records/s"
        )
        left = self.seconds_left
        if left and self.expected_bytes is not None:
            text += (
                f"; about {format_duration(left)} left for "
                f"{format_mb(max(0, self.expected_bytes - self.received_bytes))} "
                "of the Completed jobs"
            )
        return text + "."


@dataclass
class _JobSize:
    fragments: int
    expected_bytes: int | None


class DownloadTotals:
    """Fragments, bytes and records so far, against what the Completed jobs announced."""

    def __init__(self) -> None:
        self.fragments = 0
        self.downloaded_bytes = 0
        self.records = 0
        self._jobs: dict[str, _JobSize] = {}

    def job_completed(
        self, job_id: str, fragments: int, results_size: int | None, emitted_before: int
    ) -> None:
        """A job's fragments become known; those emitted by an earlier sync do not count.

        Only the first report of a job counts: seen Completed again later, its fragments
        emitted since are this sync's.
        """
        if job_id in self._jobs:
            return
        left = max(0, fragments - emitted_before)
        expected = None
        if results_size is not None:
            expected = results_size * left // fragments if fragments else results_size
        self._jobs[job_id] = _JobSize(left, expected)

    def job_dropped(self, job_id: str) -> None:
        """A job replaced before its fragments were all emitted: the new one announces anew."""
        self._jobs.pop(job_id, None)

    def fragment_downloaded(self, size: int) -> None:
        """A fragment is on disk."""
        self.downloaded_bytes += size

    def fragment_emitted(self, records: int) -> None:
        """A fragment's records were written."""
        self.fragments += 1
        self.records += records

    def totals(self, active_seconds: float, in_progress_bytes: int = 0) -> Totals:
        """The figures now; ``active_seconds`` is the time spent downloading and emitting."""
        sizes = [job.expected_bytes for job in self._jobs.values()]
        # An estimate only when every Completed job announced its size.
        known_sizes = [size for size in sizes if size is not None]
        expected = sum(known_sizes) if sizes and len(known_sizes) == len(sizes) else None
        return Totals(
            fragments=self.fragments,
            fragments_known=sum(job.fragments for job in self._jobs.values()),
            downloaded_bytes=self.downloaded_bytes,
            expected_bytes=expected,
            records=self.records,
            active_seconds=active_seconds,
            in_progress_bytes=in_progress_bytes,
        )
