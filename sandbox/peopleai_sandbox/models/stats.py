"""Counters of everything that happened: requests, tokens, jobs, limits, downloads, faults."""

from __future__ import annotations

import threading

STAT_KEYS = (
    "requests",
    "tokens_issued",
    "auth_failures",
    "jobs_created",
    "jobs_completed",
    "jobs_failed",
    "jobs_canceled",
    "jobs_stuck",
    "limit_errors",
    "validation_errors",
    "downloads",
    "bytes_served",
    "faults_injected",
    "fault_http_429",
    "fault_http_500",
    "fault_http_502",
    "fault_http_503",
    "fault_dropped_download",
    "fault_corrupt_download",
    "fault_bad_line",
    "fault_throttled_download",
    "fault_job_failed",
    "fault_job_canceled",
    "fault_stuck_job",
    "fault_unknown_state",
    "fault_missing_state",
    "fault_empty_download",
    "fault_short_download",
    "fault_truncated_gzip",
    "fault_endless_redirect",
    "fault_empty_redirect",
    "fault_mutation",
    "fault_echoed_request",
    "max_live_jobs",
    "storage_requests",
)


class Counters:
    """Thread-safe named counters; every name of ``STAT_KEYS`` starts at 0."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[str, int] = dict.fromkeys(STAT_KEYS, 0)

    def count(self, name: str, amount: int = 1) -> None:
        """Add to a counter."""
        with self._lock:
            self._values[name] = self._values.get(name, 0) + amount

    def count_fault(self, kind: str) -> None:
        """Record one injected fault of ``kind`` (e.g. ``http_503``, ``dropped_download``)."""
        with self._lock:
            self._values["faults_injected"] += 1
            key = f"fault_{kind}"
            self._values[key] = self._values.get(key, 0) + 1

    def note_max(self, name: str, value: int) -> None:
        """Raise a high-water mark to ``value`` if it is higher."""
        with self._lock:
            self._values[name] = max(self._values.get(name, 0), value)

    def snapshot(self) -> dict[str, int]:
        """A copy of every counter."""
        with self._lock:
            return dict(self._values)
