"""The ground truth: which activities exist, or an export holds, at an instant of the sandbox clock.

Exports and truth share one selection, so what a test is told to expect is what the files hold.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date

from .clock import SandboxClock
from .data import ActivityUniverse, TruthRow
from .jobs import ACTIVITY_TYPES, ExportRequest
from .times import to_us


class GroundTruth:
    """Selections of the universe as of an instant, and their truth rows."""

    def __init__(self, universe: ActivityUniverse, clock: SandboxClock) -> None:
        self.universe = universe
        self.clock = clock

    def select(self, request: ExportRequest, as_of_us: int) -> Iterator[tuple[int, int]]:
        """``(index, version)`` of what an export of ``request`` created at ``as_of_us`` holds."""
        universe = self.universe
        if request.export_type == "delta":
            return universe.select_delta(
                request.start_date, request.end_date, request.activity_type, as_of_us
            )
        return universe.select_snapshot(
            request.start_date, request.end_date, request.activity_type, as_of_us
        )

    def ground_truth(
        self,
        activity_from: date | None = None,
        activity_to: date | None = None,
        activity_type: str = "all",
    ) -> dict[str, TruthRow]:
        """Every activity that exists now, at its latest version, filtered by activity date."""
        if activity_type not in ACTIVITY_TYPES:
            raise ValueError(f"unknown activity_type {activity_type!r}")
        as_of_us = to_us(self.clock.now())
        pairs = self.universe.select_existing(as_of_us, activity_from, activity_to, activity_type)
        return self._rows(pairs)

    def export_truth(self, request: ExportRequest) -> dict[str, TruthRow]:
        """What an export of ``request``, created now, returns: uid -> its row."""
        as_of_us = to_us(self.clock.now().replace(microsecond=0))
        return self._rows(self.select(request, as_of_us))

    def _rows(self, pairs: Iterable[tuple[int, int]]) -> dict[str, TruthRow]:
        rows: dict[str, TruthRow] = {}
        for index, version in pairs:
            row = self.universe.truth_row(index, version)
            rows[row.uid] = row
        return rows
