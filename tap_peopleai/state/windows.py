"""Planning of export windows: which jobs a sync needs, as whole inclusive UTC days.

Pure functions only. A window is the unit the API exports (one job); a sync is an ordered list of
consecutive windows, so that no day is skipped and no day is exported twice except the one that
is still in progress.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from tap_peopleai.settings.api_limits import MAX_DELTA_DAYS, MAX_SNAPSHOT_DAYS

ExportType = Literal["snapshot", "delta"]

DAY = dt.timedelta(days=1)


@dataclass(frozen=True, order=True)
class ExportWindow:
    """One export job's parameters: a type and a range of whole UTC days, both inclusive."""

    export_type: ExportType
    start: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        if self.end < self.start:
            msg = f"window end {self.end} is before its start {self.start}"
            raise ValueError(msg)

    @property
    def days(self) -> int:
        """Number of days the window covers."""
        return (self.end - self.start).days + 1

    def describe(self) -> str:
        """Human-readable form used in logs and error messages."""
        return f"{self.export_type} {self.start.isoformat()}..{self.end.isoformat()}"


def _split(
    export_type: ExportType, first: dt.date, last: dt.date, max_days: int
) -> list[ExportWindow]:
    if max_days < 1:
        msg = f"a window must cover at least one day, got {max_days}"
        raise ValueError(msg)
    windows: list[ExportWindow] = []
    start = first
    while start <= last:
        end = min(start + dt.timedelta(days=max_days - 1), last)
        windows.append(ExportWindow(export_type, start, end))
        start = end + DAY
    return windows


def plan_snapshot_windows(first: dt.date, last: dt.date, max_days: int) -> list[ExportWindow]:
    """Consecutive snapshot windows (by activity date) covering ``first..last``."""
    if max_days > MAX_SNAPSHOT_DAYS:
        msg = f"a snapshot window covers at most {MAX_SNAPSHOT_DAYS} days, got {max_days}"
        raise ValueError(msg)
    return _split("snapshot", first, last, max_days)


def plan_delta_windows(cursor: dt.date, today: dt.date, max_days: int) -> list[ExportWindow]:
    """Consecutive delta windows (by processing date) from the cursor through today.

    The last window always ends today, even when the cursor is today already: that day is
    still being processed and must be exported again by the next sync.
    """
    if max_days > MAX_DELTA_DAYS:
        msg = f"a delta window covers at most {MAX_DELTA_DAYS} days, got {max_days}"
        raise ValueError(msg)
    return _split("delta", min(cursor, today), today, max_days)


def cursor_after(window: ExportWindow, today: dt.date) -> dt.date:
    """Where the next delta window starts once ``window`` was emitted completely.

    Never past today: a window that reaches today leaves today to be exported again.
    """
    return min(window.end + DAY, today)
